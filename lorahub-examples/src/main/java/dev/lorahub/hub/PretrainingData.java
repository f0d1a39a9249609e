package dev.lorahub.hub;

import dev.lorahub.FewShotExample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The base model's pretraining stream: a pure function of (seed, step), so a run is reproducible
 * bit for bit. Never contains a held-out task ({@link TaskSuite#pretrainingTasks()}).
 *
 * <ul>
 *   <li>Three steps in four are instructed batches: {@code batchSize} examples, each of a task
 *       drawn uniformly from the pretraining tasks, laid out as {@code <s> <op>... input > output
 *       </s>}; {@code copy} (1 in 39) is the empty instruction, i.e. the plain format.
 *   <li>Every fourth step is an in-context batch of {@code batchSize / 4} sequences {@code <s> in1
 *       > out1 | ... | in_k > out_k </s>} of one task each, k uniform in [2, 6], no instruction;
 *       all outputs but the first are labelled, so the base learns to infer a task from
 *       demonstrations.
 * </ul>
 */
public final class PretrainingData {
    private final Prompts prompts;
    private final List<Task> tasks;
    private final long seed;
    private final int batchSize;

    /**
     * @param prompts the prompt layout
     * @param seed the stream's seed
     * @param batchSize examples per instructed batch, at least 4
     */
    public PretrainingData(Prompts prompts, long seed, int batchSize) {
        if (batchSize < 4) {
            throw new IllegalArgumentException("batchSize must be >= 4, got " + batchSize);
        }
        this.prompts = prompts;
        this.tasks = TaskSuite.pretrainingTasks();
        this.seed = seed;
        this.batchSize = batchSize;
    }

    /**
     * @param step 1-based step
     * @return that step's batch, pre-tokenized
     */
    public List<FewShotExample> batch(int step) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + step);
        List<FewShotExample> out = new ArrayList<>();
        if (step % 4 == 0) {
            for (int i = 0; i < batchSize / 4; i++) {
                out.add(inContext(tasks.get(rnd.nextInt(tasks.size())), 2 + rnd.nextInt(5), rnd));
            }
            return out;
        }
        for (int i = 0; i < batchSize; i++) {
            Task t = tasks.get(rnd.nextInt(tasks.size()));
            TaskExample e = t.examples(rnd.nextLong(), 1).get(0);
            out.add(prompts.withTarget(prompts.instructedPrompt(t, e.input()), e.output()));
        }
        return out;
    }

    private FewShotExample inContext(Task t, int k, SplittableRandom rnd) {
        List<TaskExample> demos = t.examples(rnd.nextLong(), k);
        List<Integer> ids = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        ids.add(CharTokenizer.BOS);
        labels.add(FewShotExample.IGNORE_INDEX);
        CharTokenizer tok = prompts.tokenizer();
        for (int i = 0; i < k; i++) {
            TaskExample d = demos.get(i);
            for (int id : tok.encode(d.input() + ">", false)) {
                ids.add(id);
                labels.add(FewShotExample.IGNORE_INDEX);
            }
            int[] out = tok.encode(d.output(), false);
            int end = i == k - 1 ? CharTokenizer.EOS : CharTokenizer.DEMO_SEP;
            for (int id : Prompts.concat(out, new int[] {end})) {
                ids.add(id);
                labels.add(i == 0 ? FewShotExample.IGNORE_INDEX : id);
            }
        }
        return FewShotExample.tokenized(
                ids.stream().mapToInt(Integer::intValue).toArray(),
                labels.stream().mapToInt(Integer::intValue).toArray());
    }
}
