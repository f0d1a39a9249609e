package dev.lorahub.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.InPlaceLora;
import dev.lorahub.djl.t5.T5Activation;
import dev.lorahub.djl.t5.T5Batch;
import dev.lorahub.djl.t5.T5Config;
import dev.lorahub.djl.t5.T5Model;
import dev.lorahub.djl.t5.T5Weights;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.ModuleSelector;
import dev.lorahub.optim.Optimizers;
import dev.lorahub.spi.LinearShape;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Milliseconds per LoraHub evaluation on a flan-t5-small-shaped T5 (random weights built here:
 * d_model 512, d_ff 1024, 6 + 6 layers, 8 heads, d_kv 64, vocab 32128, gated-gelu, untied head;
 * about 77M parameters) with 20 candidate LoRA modules (r = 16 on every {@code q} and {@code v},
 * cross-attention included: 36 layers each) and 5 few-shot examples of 60 input and 5 target
 * tokens.
 *
 * <p>One evaluation = merge the 20 modules with LORAHUB weights (core {@link Composer}) + {@link
 * T5Model#loss} (apply deltaW in place, teacher-forced forward, cross-entropy, bit-exact restore).
 * Printed split: merge, apply + restore (loss with the merged module minus the base-model loss,
 * measured alternately), forward (base-model loss: the in-run baseline), as wall-clock medians and
 * as CPU-time medians of the calling thread (robust when other processes share the cores; with one
 * intra-op thread libtorch computes on the calling thread). Then an end-to-end {@code
 * LoraHub...run()} with budget 40 on the same model and its per-evaluation time. Ratios compare
 * with the Python reference (PEFT + torch 1.13, 2 threads) measured on this machine: 225 ms per
 * evaluation, 210 ms forward, 15 ms merging.
 *
 * <p>Usage: {@code T5EvalBenchmark [evaluations (default 30)]}; the intra-op threads come from
 * {@code -Dai.djl.pytorch.num_threads} (run with 1 and 2 to compare).
 */
public final class T5EvalBenchmark {
    private static final double PY_TOTAL_MS = 225.0;
    private static final double PY_FORWARD_MS = 210.0;
    private static final double PY_MERGE_MS = 15.0;
    private static final int MODULES = 20;
    private static final int RANK = 16;
    private static final int EXAMPLES = 5;
    private static final int INPUT_TOKENS = 60;
    private static final int TARGET_TOKENS = 5;

    private T5EvalBenchmark() {}

    /**
     * @param args optional number of timed evaluations
     */
    public static void main(String[] args) {
        int evaluations = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        T5Config config =
                new T5Config(
                        "t5",
                        32128,
                        512,
                        64,
                        1024,
                        6,
                        6,
                        8,
                        32,
                        128,
                        1e-6,
                        T5Activation.GELU_NEW,
                        true,
                        false,
                        0,
                        1,
                        0);
        long t0 = System.nanoTime();
        DjlRuntime.start(); // no network, quiet logs, threads: before DJL starts
        NDManager manager = NDManager.newBaseManager();
        T5Weights weights = randomWeights(config, manager);
        try (T5Model model = new T5Model(manager, weights, null)) {
            double buildS = (System.nanoTime() - t0) / 1e9;
            List<LoraModule> modules = randomModules(model.linearModules());
            List<FewShotExample> examples = randomExamples(config);
            T5Batch batch = model.encode(examples);
            LoraModule base = new LoraModule("base", modules.get(0).config(), List.of());
            Composer composer = Composer.of(MergeStrategy.LORAHUB);
            SplittableRandom random = new SplittableRandom(7);

            for (int i = 0; i < 5; i++) { // warm-up
                model.loss(composer.merge("w", modules, weights(random)), batch);
                model.loss(base, batch);
            }
            ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
            double[][] wall = new double[3][evaluations]; // merge, loss with adapter, base loss
            double[][] cpuMs = new double[3][evaluations];
            long processCpu0 = processCpuNanos();
            long threadCpu0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < evaluations; i++) {
                long[] w = new long[4];
                long[] c = new long[4];
                w[0] = System.nanoTime();
                c[0] = cpu.getCurrentThreadCpuTime();
                LoraModule merged = composer.merge("w", modules, weights(random));
                w[1] = System.nanoTime();
                c[1] = cpu.getCurrentThreadCpuTime();
                model.loss(merged, batch);
                w[2] = System.nanoTime();
                c[2] = cpu.getCurrentThreadCpuTime();
                model.loss(base, batch);
                w[3] = System.nanoTime();
                c[3] = cpu.getCurrentThreadCpuTime();
                for (int p = 0; p < 3; p++) {
                    wall[p][i] = (w[p + 1] - w[p]) / 1e6;
                    cpuMs[p][i] = (c[p + 1] - c[p]) / 1e6;
                }
            }

            System.out.printf(
                    Locale.ROOT,
                    "T5 evaluation benchmark: flan-t5-small shape (%,d parameters), %d modules r=%d"
                            + " on q,v (36 layers), %d examples x %d+%d tokens,"
                            + " intra-op threads %s, build %.1f s%n",
                    parameterCount(config),
                    MODULES,
                    RANK,
                    EXAMPLES,
                    INPUT_TOKENS,
                    TARGET_TOKENS,
                    System.getProperty("ai.djl.pytorch.num_threads", "default"),
                    buildS);
            double processOverThread =
                    (double) (processCpuNanos() - processCpu0)
                            / (cpu.getCurrentThreadCpuTime() - threadCpu0);
            table("wall clock", wall, evaluations);
            table(
                    "CPU time of the calling thread (with 1 intra-op thread: all of the work)",
                    cpuMs,
                    evaluations);

            System.out.printf(
                    Locale.ROOT,
                    "process CPU time / calling-thread CPU time over the timed loop: %.3f"
                            + " (1 = no work on other threads)%n",
                    processOverThread);

            applyAndRestore(weights, modules, composer, random, evaluations, manager);

            int budget = 40;
            LoraHubResult result =
                    LoraHub.compose(modules)
                            .fewShot(examples)
                            .on(model)
                            .optimizer(Optimizers.byName("cobyla"))
                            .budget(budget)
                            .seed(1)
                            .run();
            int evals = result.trace().size();
            LoraHubResult.Timing t = result.timing();
            System.out.printf(
                    Locale.ROOT,
                    "end-to-end LoraHub run (budget %d, %d evaluations): %.1f ms per evaluation"
                            + " (forward %.1f, composition %.1f, other %.1f); ratio to Python %.3f%n",
                    budget,
                    evals,
                    t.wall().toNanos() / 1e6 / evals,
                    t.forward().toNanos() / 1e6 / evals,
                    t.composition().toNanos() / 1e6 / evals,
                    t.other().toNanos() / 1e6 / evals,
                    t.wall().toNanos() / 1e6 / evals / PY_TOTAL_MS);
        }
    }

    /**
     * Times {@link InPlaceLora#apply} and {@link InPlaceLora#restore} alone (wall and
     * calling-thread CPU) on the model's q/v weights, through an InPlaceLora of its own like the
     * one T5Model holds, and prints the bytes of the kept originals.
     */
    private static void applyAndRestore(
            T5Weights weights,
            List<LoraModule> modules,
            Composer composer,
            SplittableRandom random,
            int evaluations,
            NDManager manager) {
        Map<String, NDArray> targets = new LinkedHashMap<>();
        for (String module : T5Weights.linearModules(weights.config()).keySet()) {
            targets.put(module, weights.get(module + ".weight"));
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        double[][] ms = new double[4][evaluations]; // apply wall, apply CPU, restore wall, CPU
        long kept = 0;
        try (InPlaceLora lora = new InPlaceLora(targets, manager)) {
            for (int i = -3; i < evaluations; i++) { // 3 warm-up
                LoraModule merged = composer.merge("w", modules, weights(random));
                long w0 = System.nanoTime();
                long c0 = cpu.getCurrentThreadCpuTime();
                lora.apply(merged);
                long w1 = System.nanoTime();
                long c1 = cpu.getCurrentThreadCpuTime();
                lora.restore();
                long w2 = System.nanoTime();
                long c2 = cpu.getCurrentThreadCpuTime();
                if (i >= 0) {
                    ms[0][i] = (w1 - w0) / 1e6;
                    ms[1][i] = (c1 - c0) / 1e6;
                    ms[2][i] = (w2 - w1) / 1e6;
                    ms[3][i] = (c2 - c1) / 1e6;
                }
                kept = 0;
                for (LoraLayer layer : merged.layers().values()) {
                    kept += 4L * layer.outFeatures() * layer.inFeatures();
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "InPlaceLora alone, medians over %d evaluations (ms): apply %.2f wall / %.2f CPU,"
                        + " restore %.2f wall / %.2f CPU, together %.2f wall / %.2f CPU;"
                        + " kept originals %.1f MB%n",
                evaluations,
                median(ms[0]),
                median(ms[1]),
                median(ms[2]),
                median(ms[3]),
                median(ms[0]) + median(ms[2]),
                median(ms[1]) + median(ms[3]),
                kept / 1e6);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void table(String title, double[][] ms, int evaluations) {
        double merge = median(ms[0]);
        double withAdapter = median(ms[1]);
        double forward = median(ms[2]);
        double total = merge + withAdapter;
        System.out.printf(
                Locale.ROOT, "%s, medians over %d evaluations (ms)%n", title, evaluations);
        System.out.println("| part | lorahub-djl | Python reference | ratio |");
        System.out.println("|---|---|---|---|");
        row("merge 20 modules (Composer LORAHUB)", merge, PY_MERGE_MS);
        row("apply deltaW in place + restore", withAdapter - forward, Double.NaN);
        row("forward + loss (base model, in-run baseline)", forward, PY_FORWARD_MS);
        row("overhead = merge + apply + restore", total - forward, PY_MERGE_MS);
        row("total per evaluation", total, PY_TOTAL_MS);
        System.out.printf(
                Locale.ROOT,
                "overhead / forward in the same run: %.3f%n%n",
                (total - forward) / forward);
    }

    private static void row(String part, double ms, double python) {
        System.out.printf(
                Locale.ROOT,
                "| %s | %.2f | %s | %s |%n",
                part,
                ms,
                Double.isNaN(python) ? "-" : String.format(Locale.ROOT, "%.0f", python),
                Double.isNaN(python) ? "-" : String.format(Locale.ROOT, "%.3f", ms / python));
    }

    private static double[] weights(SplittableRandom random) {
        double[] w = new double[MODULES];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextDouble(-1.5, 1.5);
        }
        return w;
    }

    /** Uniform weights of about the scale HF's init gives; one tensor in Java at a time. */
    private static T5Weights randomWeights(T5Config config, NDManager manager) {
        SplittableRandom random = new SplittableRandom(42);
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : T5Weights.expectedShapes(config).entrySet()) {
            long[] s = e.getValue();
            int n = Math.toIntExact(Arrays.stream(s).reduce(1, (x, y) -> x * y));
            float[] v = new float[n];
            double bound = s.length == 1 ? 0 : Math.sqrt(3.0 / s[s.length - 1]);
            for (int i = 0; i < n; i++) {
                v[i] = s.length == 1 ? 1f : (float) random.nextDouble(-bound, bound);
            }
            arrays.put(e.getKey(), manager.create(v, new Shape(s)));
        }
        return T5Weights.of(config, arrays);
    }

    private static long parameterCount(T5Config config) {
        return T5Weights.expectedShapes(config).values().stream()
                .mapToLong(s -> Arrays.stream(s).reduce(1, (x, y) -> x * y))
                .sum();
    }

    private static List<LoraModule> randomModules(Map<String, LinearShape> linears) {
        AdapterConfig config =
                AdapterConfig.builder()
                        .baseModelNameOrPath("random-flan-t5-small")
                        .r(RANK)
                        .loraAlpha(2 * RANK)
                        .targetModules(ModuleSelector.names(List.of("q", "v")))
                        .build();
        SplittableRandom random = new SplittableRandom(3);
        List<LoraModule> out = new ArrayList<>();
        for (int m = 0; m < MODULES; m++) {
            List<LoraLayer> layers = new ArrayList<>();
            for (Map.Entry<String, LinearShape> e : linears.entrySet()) {
                String path = e.getKey();
                if (!(path.endsWith(".q") || path.endsWith(".v"))) {
                    continue;
                }
                int in = e.getValue().inFeatures();
                int outF = e.getValue().outFeatures();
                float[] a = new float[RANK * in];
                float[] b = new float[outF * RANK];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextDouble(-0.05, 0.05);
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) random.nextDouble(-0.01, 0.01);
                }
                layers.add(new LoraLayer(path, RANK, in, outF, a, b, 2.0, false));
            }
            out.add(new LoraModule("module_" + m, config, layers));
        }
        return out;
    }

    private static List<FewShotExample> randomExamples(T5Config config) {
        SplittableRandom random = new SplittableRandom(5);
        List<FewShotExample> out = new ArrayList<>();
        for (int e = 0; e < EXAMPLES; e++) {
            int[] in = new int[INPUT_TOKENS];
            int[] labels = new int[TARGET_TOKENS];
            for (int i = 0; i < in.length; i++) {
                in[i] = 2 + random.nextInt(config.vocabSize() - 2);
            }
            for (int i = 0; i < labels.length; i++) {
                labels[i] = 2 + random.nextInt(config.vocabSize() - 2);
            }
            in[in.length - 1] = config.eosTokenId();
            labels[labels.length - 1] = config.eosTokenId();
            out.add(FewShotExample.tokenized(in, labels));
        }
        return out;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
