package dev.lorahub.bench;

import ai.djl.ndarray.NDManager;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.llama.LlamaFiles;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.djl.train.Pretrainer;
import dev.lorahub.djl.train.PretrainingConfig;
import dev.lorahub.eval.AnswerEval;
import dev.lorahub.eval.EvalReport;
import dev.lorahub.hub.CharTokenizer;
import dev.lorahub.hub.HubBuilder;
import dev.lorahub.hub.HubScale;
import dev.lorahub.hub.PretrainingData;
import dev.lorahub.hub.Prompts;
import dev.lorahub.hub.Task;
import dev.lorahub.hub.TaskExample;
import dev.lorahub.hub.TaskSuite;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Can the hub's base learn in context? Pretrains a base like {@code build-hub}'s (same seeds,
 * instructed tasks and schedule) on a chosen {@link PretrainingData.Mix}, saves it, and measures
 * what the demo's {@code icl} row measures: greedy answers to {@code in1>out1|...|in5>out5|query>}.
 * Printed: the losses of instructed and in-context steps every 200 steps (moving averages), the
 * in-context exact match on the 10 held-out tasks (3 draws of 5 demonstrations x 100 queries
 * each) and on the 39 pretraining tasks (3 x 30), the first correct answers (a word such as
 * {@code bbb} is its own answer under several tasks and needs no inference), and how often the
 * model names a pretraining task's instruction tokens after its 5 demonstrations and a {@code |}
 * (what {@code named=} teaches).
 *
 * <p>Usage: {@code java -cp lorahub-examples/target/lorahub.jar
 * dev.lorahub.bench.InContextPretraining [key=value ...]}, keys (default: the committed hub's):
 * {@code hidden intermediate layers heads steps batch lr} (model and schedule), {@code every
 * sequences min-demos max-demos label-separators named packed} ({@link PretrainingData.Mix}),
 * {@code out} (where the base is saved, default {@code /tmp/icl-base}), {@code threads}; or {@code
 * evaluate=DIR} to measure a saved base only. docs/hub-and-demo.md gives the runs and figures.
 */
public final class InContextPretraining {
    private static final int DRAWS = 3;
    private static final int SHOTS = 5;
    /**
     * Between the seeds of two draws: {@link Task#examples} seeds its generator with {@code seed *
     * golden gamma}, so seeds 1 apart give the same words shifted by one.
     */
    private static final long DRAW_STRIDE = 1_000_003L;
    /** As the demo's rows: enough for any answer (12 letters) and its EOS. */
    private static final int MAX_NEW_TOKENS = 16;

    private InContextPretraining() {}

    /**
     * @param args {@code key=value} settings
     * @throws IOException if the base cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("expected key=value, got '" + arg + "'");
            }
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        if (a.containsKey("threads")) {
            DjlRuntime.setThreads(Integer.parseInt(a.remove("threads")));
        }
        DjlRuntime.start();
        Path dir;
        if (a.containsKey("evaluate")) {
            dir = Path.of(a.remove("evaluate"));
            requireNoneLeft(a);
        } else {
            dir = Path.of(a.getOrDefault("out", "/tmp/icl-base"));
            a.remove("out");
            pretrain(a, dir);
        }
        evaluate(dir);
    }

    private static void pretrain(Map<String, String> a, Path dir) throws IOException {
        HubScale full = HubScale.FULL;
        int batch = integer(a, "batch", full.pretrainBatch());
        int steps = integer(a, "steps", full.pretrainSteps());
        double lr = Double.parseDouble(take(a, "lr", String.valueOf(full.pretrainLr())));
        PretrainingData.Mix hub = PretrainingData.Mix.quarter(batch);
        PretrainingData.Mix mix =
                new PretrainingData.Mix(
                        integer(a, "every", hub.inContextEvery()),
                        integer(a, "sequences", hub.inContextSequences()),
                        integer(a, "min-demos", hub.minDemos()),
                        integer(a, "max-demos", hub.maxDemos()),
                        Boolean.parseBoolean(
                                take(a, "label-separators", String.valueOf(hub.labelSeparators()))),
                        Double.parseDouble(take(a, "named", String.valueOf(hub.namedTaskShare()))),
                        Double.parseDouble(take(a, "packed", String.valueOf(hub.packedShare()))));
        HubScale scale =
                new HubScale(
                        "icl",
                        integer(a, "hidden", full.hidden()),
                        integer(a, "intermediate", full.intermediate()),
                        integer(a, "layers", full.layers()),
                        integer(a, "heads", full.heads()),
                        steps,
                        batch,
                        lr,
                        full.rank(),
                        full.alpha(),
                        full.moduleSteps(),
                        full.moduleBatch(),
                        full.moduleExamples(),
                        full.moduleLr(),
                        full.heldOutTrain(),
                        full.heldOutTest());
        requireNoneLeft(a); // before the long run, not after it
        CharTokenizer tokenizer = new CharTokenizer();
        PretrainingData data =
                new PretrainingData(new Prompts(tokenizer), HubBuilder.DATA_SEED, batch, mix);
        System.out.printf(Locale.ROOT, "%s%n%s%n", scale, mix);
        long t0 = System.nanoTime();
        double[] instructed = {Double.NaN};
        double[] inContext = {Double.NaN};
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model =
                        LlamaModel.create(
                                HubBuilder.modelConfig(scale), HubBuilder.BASE_SEED, manager)) {
            Pretrainer.of(new PretrainingConfig(steps, lr, Math.max(1, steps / 20), 1.0))
                    .listener(
                            (s, t, loss) -> {
                                double[] avg = data.inContext(s) ? inContext : instructed;
                                avg[0] = Double.isNaN(avg[0]) ? loss : 0.95 * avg[0] + 0.05 * loss;
                                if (s % 200 == 0) {
                                    System.out.printf(
                                            Locale.ROOT,
                                            "step %d: instructed %.3f, in-context %.3f, %.0f s%n",
                                            s,
                                            instructed[0],
                                            inContext[0],
                                            (System.nanoTime() - t0) / 1e9);
                                }
                            })
                    .train(model, data::batch);
            HubBuilder.saveBase(model, tokenizer, dir);
            System.out.printf(
                    Locale.ROOT,
                    "pretrained %d parameters in %.1f s, saved to %s%n",
                    model.parameterCount(),
                    (System.nanoTime() - t0) / 1e9,
                    dir);
        }
    }

    private static void evaluate(Path dir) throws IOException {
        try (BaseModel base = ModelBackends.load(dir)) {
            report("held-out", TaskSuite.heldOutTasks(), 100, base);
            report("pretraining", TaskSuite.pretrainingTasks(), 30, base);
            int named = 0;
            int asked = 0;
            for (Task t : TaskSuite.pretrainingTasks()) {
                if (t.ops().isEmpty()) {
                    continue;
                }
                String ops =
                        t.ops().stream()
                                .map(CharTokenizer::instruction)
                                .collect(Collectors.joining());
                for (int d = 0; d < DRAWS; d++) {
                    String prompt = demonstrations(demos(t, d));
                    EvalReport r =
                            AnswerEval.on(base)
                                    .maxNewTokens(t.ops().size())
                                    .runPrompts(List.of(prompt), List.of(ops));
                    named += r.exactMatch() > 0 ? 1 : 0;
                    asked++;
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "names the task after 5 demonstrations: %d of %d (%.1f%%)%n",
                    named,
                    asked,
                    100.0 * named / asked);
        }
    }

    private static void report(
            String what, List<Task> tasks, int queries, BaseModel base) {
        double sum = 0;
        StringBuilder per = new StringBuilder();
        List<String> correct = new ArrayList<>();
        for (Task t : tasks) {
            double em = 0;
            for (int d = 0; d < DRAWS; d++) {
                List<TaskExample> demos = demos(t, d);
                Set<String> seen = new HashSet<>();
                demos.forEach(e -> seen.add(e.input()));
                List<TaskExample> test = t.examples(777 + DRAW_STRIDE * d, queries, seen);
                String prefix = demonstrations(demos);
                List<String> prompts =
                        test.stream().map(e -> prefix + e.input() + ">").toList();
                List<String> refs = test.stream().map(TaskExample::output).toList();
                EvalReport r =
                        AnswerEval.on(base)
                                .maxNewTokens(MAX_NEW_TOKENS)
                                .batchSize(prompts.size())
                                .runPrompts(prompts, refs);
                em += r.exactMatch();
                for (int i = 0; i < refs.size(); i++) {
                    if (refs.get(i).equals(r.predictions().get(i).strip())) {
                        correct.add(t.name() + ":" + test.get(i).input() + ">" + refs.get(i));
                    }
                }
            }
            em /= DRAWS;
            sum += em;
            per.append(String.format(Locale.ROOT, " %s %.0f", t.name(), em));
        }
        System.out.printf(
                Locale.ROOT,
                "in-context exact match, %s tasks: %.1f%%;%s%n", what, sum / tasks.size(), per);
        System.out.printf(
                Locale.ROOT,
                "  correct answers (first 12 of %d): %s%n",
                correct.size(),
                String.join(" ", correct.subList(0, Math.min(12, correct.size()))));
    }

    private static List<TaskExample> demos(Task t, int draw) {
        return t.examples(9000 + DRAW_STRIDE * draw, SHOTS);
    }

    private static String demonstrations(List<TaskExample> demos) {
        StringBuilder b = new StringBuilder();
        for (TaskExample e : demos) {
            b.append(e.input()).append('>').append(e.output()).append('|');
        }
        return b.toString();
    }

    private static void requireNoneLeft(Map<String, String> a) {
        if (!a.isEmpty()) {
            throw new IllegalArgumentException("unknown settings " + a.keySet());
        }
    }

    private static int integer(Map<String, String> a, String key, int fallback) {
        return Integer.parseInt(take(a, key, String.valueOf(fallback)));
    }

    private static String take(Map<String, String> a, String key, String fallback) {
        String v = a.remove(key);
        return v == null ? fallback : v;
    }
}
