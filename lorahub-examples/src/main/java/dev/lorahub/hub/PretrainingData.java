package dev.lorahub.hub;

import dev.lorahub.FewShotExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The base model's pretraining stream: a pure function of (seed, step), so a run is reproducible
 * bit for bit. Never contains a held-out task ({@link TaskSuite#pretrainingTasks()}).
 *
 * <p>With {@link Mix#quarter(int)} (what {@code build-hub} uses):
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
 *
 * The other {@link Mix} settings are the variants measured for the {@code icl} row
 * (docs/hub-and-demo.md, {@code dev.lorahub.bench.InContextPretraining}).
 */
public final class PretrainingData {
    private final Prompts prompts;
    private final List<Task> tasks;
    private final long seed;
    private final int batchSize;
    private final Mix mix;

    /**
     * How the stream mixes instructed and in-context sequences.
     *
     * @param inContextEvery every this-many-th step is an in-context batch (at least 2)
     * @param inContextSequences sequences per in-context batch
     * @param minDemos fewest demonstrations per in-context sequence (at least 2)
     * @param maxDemos most demonstrations per in-context sequence
     * @param labelSeparators whether the {@code |} after a demonstration is labelled (the model
     *     then learns that more may follow); if not, only the last answer's EOS is
     * @param namedTaskShare share of in-context sequences whose last demonstration starts with its
     *     task's instruction tokens, labelled: the model is taught to name the task from the
     *     demonstrations before it
     * @param packedShare share of an instructed batch's examples packed into sequences of 2 to 6
     *     instructed examples of random tasks joined by {@code |} (4 examples per sequence on
     *     average, so the batch's token count stays about the same), every answer labelled: the
     *     model learns to run an instruction that does not start the sequence
     */
    public record Mix(
            int inContextEvery,
            int inContextSequences,
            int minDemos,
            int maxDemos,
            boolean labelSeparators,
            double namedTaskShare,
            double packedShare) {
        /** Validates the ranges. */
        public Mix {
            if (inContextEvery < 2
                    || inContextSequences < 1
                    || minDemos < 2
                    || maxDemos < minDemos
                    || !(namedTaskShare >= 0 && namedTaskShare <= 1)
                    || !(packedShare >= 0 && packedShare <= 1)) {
                // not `this`: a compact constructor has not assigned the fields yet
                throw new IllegalArgumentException(
                        String.format(
                                Locale.ROOT,
                                "invalid pretraining mix: inContextEvery=%d (>= 2),"
                                        + " inContextSequences=%d (>= 1), minDemos=%d (>= 2),"
                                        + " maxDemos=%d (>= minDemos), namedTaskShare=%s and"
                                        + " packedShare=%s (in [0, 1])",
                                inContextEvery,
                                inContextSequences,
                                minDemos,
                                maxDemos,
                                namedTaskShare,
                                packedShare));
            }
        }

        /**
         * @param batchSize examples per instructed batch
         * @return the committed hub's mix: every fourth step {@code batchSize / 4} in-context
         *     sequences of 2 to 6 demonstrations, separators labelled, nothing named or packed
         */
        public static Mix quarter(int batchSize) {
            return new Mix(4, batchSize / 4, 2, 6, true, 0, 0);
        }
    }

    /**
     * @param prompts the prompt layout
     * @param seed the stream's seed
     * @param batchSize examples per instructed batch, at least 4
     * @param mix how instructed and in-context sequences mix
     */
    public PretrainingData(Prompts prompts, long seed, int batchSize, Mix mix) {
        if (batchSize < 4) {
            throw new IllegalArgumentException("batchSize must be >= 4, got " + batchSize);
        }
        this.prompts = prompts;
        this.tasks = TaskSuite.pretrainingTasks();
        this.seed = seed;
        this.batchSize = batchSize;
        this.mix = mix;
    }

    /**
     * @param step 1-based step
     * @return whether that step's batch is an in-context one
     */
    public boolean inContext(int step) {
        return step % mix.inContextEvery() == 0;
    }

    /**
     * @param step 1-based step
     * @return that step's batch, pre-tokenized
     */
    public List<FewShotExample> batch(int step) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + step);
        List<FewShotExample> out = new ArrayList<>();
        if (inContext(step)) {
            int span = mix.maxDemos() - mix.minDemos() + 1;
            for (int i = 0; i < mix.inContextSequences(); i++) {
                Task t = tasks.get(rnd.nextInt(tasks.size()));
                int k = mix.minDemos() + rnd.nextInt(span);
                // no draw at share 0: the committed hub's stream stays as it was
                boolean named =
                        mix.namedTaskShare() > 0 && rnd.nextDouble() < mix.namedTaskShare();
                out.add(inContext(t, k, named, rnd));
            }
            return out;
        }
        int packed = (int) Math.round(batchSize * mix.packedShare() / 4.0);
        for (int i = 0; i < packed; i++) {
            out.add(packed(2 + rnd.nextInt(5), rnd));
        }
        for (int i = 4 * packed; i < batchSize; i++) {
            Task t = tasks.get(rnd.nextInt(tasks.size()));
            TaskExample e = t.examples(rnd.nextLong(), 1).get(0);
            out.add(prompts.withTarget(prompts.instructedPrompt(t, e.input()), e.output()));
        }
        return out;
    }

    private FewShotExample inContext(Task t, int k, boolean named, SplittableRandom rnd) {
        List<TaskExample> demos = t.examples(rnd.nextLong(), k);
        Sequence s = new Sequence();
        for (int i = 0; i < k; i++) {
            if (named && i == k - 1) {
                s.instruction(t, true);
            }
            s.segment(demos.get(i), i > 0, i == k - 1, mix.labelSeparators() && i > 0);
        }
        return s.example();
    }

    private FewShotExample packed(int k, SplittableRandom rnd) {
        Sequence s = new Sequence();
        for (int i = 0; i < k; i++) {
            Task t = tasks.get(rnd.nextInt(tasks.size()));
            s.instruction(t, false);
            s.segment(t.examples(rnd.nextLong(), 1).get(0), true, i == k - 1, false);
        }
        return s.example();
    }

    /** Ids and their aligned labels, built segment by segment from {@code <s>}. */
    private final class Sequence {
        private final List<Integer> ids = new ArrayList<>();
        private final List<Integer> labels = new ArrayList<>();

        Sequence() {
            add(CharTokenizer.BOS, false);
        }

        void instruction(Task t, boolean labelled) {
            for (Op op : t.ops()) {
                add(prompts.tokenizer().instructionId(op), labelled);
            }
        }

        /**
         * {@code input > output} then {@code </s>} if last, else {@code |}; the output labelled if
         * {@code labelAnswer}, the EOS then too, the {@code |} if {@code labelSeparator}.
         */
        void segment(TaskExample e, boolean labelAnswer, boolean last, boolean labelSeparator) {
            CharTokenizer tok = prompts.tokenizer();
            for (int id : tok.encode(e.input() + ">", false)) {
                add(id, false);
            }
            for (int id : tok.encode(e.output(), false)) {
                add(id, labelAnswer);
            }
            if (last) {
                add(CharTokenizer.EOS, labelAnswer);
            } else {
                add(CharTokenizer.DEMO_SEP, labelSeparator);
            }
        }

        private void add(int id, boolean labelled) {
            ids.add(id);
            labels.add(labelled ? id : FewShotExample.IGNORE_INDEX);
        }

        FewShotExample example() {
            return FewShotExample.tokenized(
                    ids.stream().mapToInt(Integer::intValue).toArray(),
                    labels.stream().mapToInt(Integer::intValue).toArray());
        }
    }
}
