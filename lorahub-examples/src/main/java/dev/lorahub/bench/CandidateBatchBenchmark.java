package dev.lorahub.bench;

import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.AdapterMode;
import dev.lorahub.djl.DjlBaseModel;
import dev.lorahub.djl.DjlRuntime;
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
 * Time per candidate of the DJL backends' three ways to evaluate λ candidates: one forward each
 * with the adapter applied in place ({@code loss} in {@link AdapterMode#IN_PLACE}), one forward each
 * with side branches ({@code loss} in {@link AdapterMode#BRANCH}), and one forward for all of them
 * with candidate-indexed side branches ({@code lossesInOneForward}), measured in the same run,
 * interleaved, for λ = 1, 4, 8, 16 (or the list given). Candidates are {@code MergeStrategy}
 * compositions of 20 modules with weights uniform in [-1.5, 1.5] (seed 42); composing them is not
 * timed (all paths take the same composed modules). Prints per λ the ms per candidate of each path
 * in its fastest repetition (wall and calling-thread CPU), the ratios of the branch and batched
 * wall times to in place (below 1: faster than in place), and the largest relative difference of
 * their losses from in place.
 *
 * <p>Usage: {@code CandidateBatchBenchmark hub|<case folder> [repetitions, default 3] [strategy,
 * default LORAHUB] [lambdas, default 1,4,8,16]}: {@code hub} is the embedded hub ({@code lorahub-examples/hub}, its base model,
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
                    "usage: CandidateBatchBenchmark hub|<case folder> [repetitions] [strategy]"
                            + " [lambdas, e.g. 1,4,8,16]");
        }
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        MergeStrategy strategy =
                args.length > 2
                        ? MergeStrategy.valueOf(args[2].toUpperCase(Locale.ROOT))
                        : MergeStrategy.LORAHUB;
        int[] lambdas =
                args.length > 3
                        ? Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray()
                        : LAMBDAS;
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
                        "%6s %19s %19s %19s %8s %8s %12s%n",
                        "lambda",
                        "in place ms (CPU)",
                        "branch ms (CPU)",
                        "batched ms (CPU)",
                        "br/ip",
                        "bat/ip",
                        "max rel diff");
                System.out.println(
                        "(ms per candidate, wall / calling-thread CPU, fastest repetition: on a"
                                + " shared machine the others only add waiting; in place and"
                                + " branch = one forward per candidate (AdapterMode), batched ="
                                + " all in one forward; ratios of wall times, below 1: faster"
                                + " than in place; max rel diff = largest loss difference from"
                                + " in place)");
                Composer composer = Composer.of(strategy);
                if (strategy.needsDensity()) {
                    composer = composer.density(0.5);
                }
                Random rnd = new Random(42);
                for (int lambda : lambdas) {
                    List<LoraModule> candidates = new ArrayList<>();
                    for (int c = 0; c < lambda; c++) {
                        double[] w = new double[modules.size()];
                        for (int i = 0; i < w.length; i++) {
                            w[i] = 3 * rnd.nextDouble() - 1.5;
                        }
                        candidates.add(composer.merge("c" + c, modules, w));
                    }
                    measure((DjlBaseModel) model, batch, candidates, reps);
                }
            }
        }
    }

    private static void measure(
            DjlBaseModel model, EncodedBatch batch, List<LoraModule> candidates, int reps) {
        int lambda = candidates.size();
        // per path (in place, branch, batched): ms per candidate, wall and calling-thread CPU
        double[][] wall = new double[3][reps];
        double[][] cpu = new double[3][reps];
        double[][] losses = new double[3][];
        for (int r = -1; r < reps; r++) { // r = -1: warm-up, not counted
            for (int path = 0; path < 3; path++) {
                long c0 = CPU.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                losses[path] = evaluate(model, batch, candidates, path);
                if (r >= 0) {
                    wall[path][r] = (System.nanoTime() - t0) / 1e6 / lambda;
                    cpu[path][r] = (CPU.getCurrentThreadCpuTime() - c0) / 1e6 / lambda;
                }
            }
        }
        double worst = 0;
        for (int path = 1; path < 3; path++) {
            for (int c = 0; c < lambda; c++) {
                worst =
                        Math.max(
                                worst,
                                Math.abs(losses[path][c] - losses[0][c])
                                        / Math.abs(losses[0][c]));
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%6d %9.1f / %7.1f %9.1f / %7.1f %9.1f / %7.1f %8.2f %8.2f %12.1e%n",
                lambda,
                min(wall[0]),
                min(cpu[0]),
                min(wall[1]),
                min(cpu[1]),
                min(wall[2]),
                min(cpu[2]),
                min(wall[1]) / min(wall[0]),
                min(wall[2]) / min(wall[0]),
                worst);
    }

    /** Path 0: one at a time in place; 1: one at a time with branches; 2: all in one forward. */
    private static double[] evaluate(
            DjlBaseModel model, EncodedBatch batch, List<LoraModule> candidates, int path) {
        if (path == 2) {
            return model.lossesInOneForward(candidates, batch);
        }
        model.adapterMode(path == 0 ? AdapterMode.IN_PLACE : AdapterMode.BRANCH);
        double[] out = new double[candidates.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = model.loss(candidates.get(c), batch);
        }
        return out;
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
