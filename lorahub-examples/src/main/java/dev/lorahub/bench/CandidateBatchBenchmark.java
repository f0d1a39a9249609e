package dev.lorahub.bench;

import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.t5.T5Model;
import dev.lorahub.hub.HubLayout;
import dev.lorahub.hub.Jsonl;
import dev.lorahub.hub.TaskExample;
import dev.lorahub.io.ExamplesFile;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.spi.EncodedBatch;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Time per candidate of the DJL backends' two ways to evaluate λ candidates: one forward each with
 * the adapter applied in place ({@code loss}, the loop) against one forward for all of them with
 * candidate-indexed side branches ({@code lossesInOneForward}), measured in the same run,
 * interleaved, for λ = 1, 4, 8, 16. Candidates are {@code MergeStrategy} compositions of 20 modules
 * with weights uniform in [-1.5, 1.5] (seed 42); composing them is not timed (both paths take the
 * same composed modules). Prints per λ the ms per candidate of each path in its fastest repetition (wall and
 * calling-thread CPU), their ratio
 * (batched / loop: below 1 means the batched forward wins), and the largest relative difference of
 * the losses.
 *
 * <p>Usage: {@code CandidateBatchBenchmark hub|<case folder> [repetitions, default 3] [strategy,
 * default LORAHUB]}: {@code hub} is the embedded hub ({@code lorahub-examples/hub}, its base model,
 * the first 20 modules and 5 examples of the first held-out task laid out by the base's template);
 * a case folder is one written by {@link ScaleCase} ({@code model/}, {@code adapters/},
 * {@code examples.jsonl}). Threads: {@code -Dai.djl.pytorch.num_threads} (default 1).
 */
public final class CandidateBatchBenchmark {
    private static final int[] LAMBDAS = {1, 4, 8, 16};
    private static final int MODULES = 20;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private CandidateBatchBenchmark() {}

    /**
     * @param args {@code hub} or a case folder, optional repetitions, optional strategy
     * @throws IOException if the model, modules or examples cannot be read
     */
    public static void main(String[] args) throws IOException {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty(
                "ai.djl.pytorch.num_threads",
                System.getProperty("ai.djl.pytorch.num_threads", "1"));
        if (args.length < 1) {
            throw new IllegalArgumentException(
                    "usage: CandidateBatchBenchmark hub|<case folder> [repetitions] [strategy]");
        }
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        MergeStrategy strategy =
                args.length > 2
                        ? MergeStrategy.valueOf(args[2].toUpperCase(Locale.ROOT))
                        : MergeStrategy.LORAHUB;
        DjlRuntime.start();
        boolean hub = args[0].equals("hub");
        HubLayout layout = new HubLayout(Path.of("hub"));
        Path modelDir = hub ? layout.base() : Path.of(args[0], "model");
        Path modulesDir = hub ? layout.root().resolve("modules") : Path.of(args[0], "adapters");
        List<LoraModule> modules = new ArrayList<>();
        try (Stream<Path> s = Files.list(modulesDir)) {
            for (Path p : s.sorted().limit(MODULES).toList()) {
                modules.add(LoraModule.load(p));
            }
        }
        long t0 = System.nanoTime();
        try (BaseModel model = ModelBackends.load(modelDir)) {
            System.out.printf(
                    Locale.ROOT,
                    "%s: %s, %d modules, %s, threads %s, %d repetitions, loaded in %.1f s%n",
                    args[0],
                    model.modelType(),
                    modules.size(),
                    strategy,
                    System.getProperty("ai.djl.pytorch.num_threads"),
                    reps,
                    (System.nanoTime() - t0) / 1e9);
            List<FewShotExample> examples =
                    hub ? hubExamples(layout, model) : caseExamples(args[0]);
            try (EncodedBatch batch = model.encode(examples)) {
                System.out.printf(
                        Locale.ROOT,
                        "%6s %14s %14s %8s %14s %14s %8s %12s%n",
                        "lambda",
                        "loop ms/cand",
                        "batch ms/cand",
                        "ratio",
                        "loop CPU ms",
                        "batch CPU ms",
                        "ratio",
                        "max rel diff");
                System.out.println(
                        "(fastest repetition per candidate: on a shared machine the others only"
                                + " add waiting; ratio = batched / loop, below 1: batched wins;"
                                + " CPU = calling-thread CPU time, where libtorch works with one"
                                + " thread)");
                Composer composer = Composer.of(strategy);
                if (strategy.needsDensity()) {
                    composer = composer.density(0.5);
                }
                Random rnd = new Random(42);
                for (int lambda : LAMBDAS) {
                    List<LoraModule> candidates = new ArrayList<>();
                    for (int c = 0; c < lambda; c++) {
                        double[] w = new double[modules.size()];
                        for (int i = 0; i < w.length; i++) {
                            w[i] = 3 * rnd.nextDouble() - 1.5;
                        }
                        candidates.add(composer.merge("c" + c, modules, w));
                    }
                    measure(model, batch, candidates, reps);
                }
            }
        }
    }

    private static void measure(
            BaseModel model, EncodedBatch batch, List<LoraModule> candidates, int reps) {
        int lambda = candidates.size();
        double[] loopMs = new double[reps];
        double[] batchMs = new double[reps];
        double[] loopCpu = new double[reps];
        double[] batchCpu = new double[reps];
        double[] alone = new double[lambda];
        double[] together = new double[lambda];
        for (int r = -1; r < reps; r++) { // r = -1: warm-up, not counted
            long c0 = CPU.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int c = 0; c < lambda; c++) {
                alone[c] = model.loss(candidates.get(c), batch);
            }
            long t1 = System.nanoTime();
            long c1 = CPU.getCurrentThreadCpuTime();
            together = inOneForward(model, candidates, batch);
            long t2 = System.nanoTime();
            long c2 = CPU.getCurrentThreadCpuTime();
            if (r >= 0) {
                loopMs[r] = (t1 - t0) / 1e6 / lambda;
                batchMs[r] = (t2 - t1) / 1e6 / lambda;
                loopCpu[r] = (c1 - c0) / 1e6 / lambda;
                batchCpu[r] = (c2 - c1) / 1e6 / lambda;
            }
        }
        double worst = 0;
        for (int c = 0; c < lambda; c++) {
            worst = Math.max(worst, Math.abs(together[c] - alone[c]) / Math.abs(alone[c]));
        }
        double loop = min(loopMs);
        double batched = min(batchMs);
        System.out.printf(
                Locale.ROOT,
                "%6d %14.1f %14.1f %8.2f %14.1f %14.1f %8.2f %12.1e%n",
                lambda,
                loop,
                batched,
                batched / loop,
                min(loopCpu),
                min(batchCpu),
                min(batchCpu) / min(loopCpu),
                worst);
    }

    private static double[] inOneForward(
            BaseModel model, List<LoraModule> candidates, EncodedBatch batch) {
        if (model instanceof LlamaBaseModel l) {
            return l.lossesInOneForward(candidates, batch);
        }
        if (model instanceof T5Model t) {
            return t.lossesInOneForward(candidates, batch);
        }
        throw new IllegalArgumentException(
                "not a DJL LLaMA or T5 model: " + model.getClass().getName());
    }

    private static List<FewShotExample> hubExamples(HubLayout layout, BaseModel model)
            throws IOException {
        String task;
        try (Stream<Path> s = Files.list(layout.root().resolve("held-out"))) {
            task = s.sorted().findFirst().orElseThrow().getFileName().toString();
        }
        List<FewShotExample> out = new ArrayList<>();
        for (TaskExample e : Jsonl.read(layout.heldOutTrain(task)).subList(0, 5)) {
            out.add(FewShotExample.of(e.input(), e.output()));
        }
        return model.template().apply(out);
    }

    private static List<FewShotExample> caseExamples(String caseDir) throws IOException {
        return ExamplesFile.read(Path.of(caseDir, "examples.jsonl"));
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }
}
