package dev.lorahub.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.Composer;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.InPlaceLora;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.llama.LlamaFiles;
import dev.lorahub.djl.llama.LlamaLayout;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.io.AdapterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * What one LoraHub evaluation costs on the DJL LLaMA backend, split into composition (the core
 * {@link Composer} LORAHUB merge of the candidate weights), in-place patch ({@link
 * InPlaceLora#apply}), forward + loss, and restore, next to the forward alone (the base model,
 * nothing patched) measured in the same run, interleaved. Prints ms per evaluation (median over the
 * timed repetitions), the ratio total / forward-alone, and the extra memory while an adapter is
 * applied (the kept copies of the targeted matrices, computed, and the process RSS growth,
 * measured). Patch and restore are also given in CPU time of the calling thread (with one intra-op
 * thread libtorch works on it), which other processes on a shared machine inflate less.
 *
 * <p>Models: the hf-tiny fixture with its three adapters (when run from the checkout, which holds the test data), and a
 * random LLaMA of about 56M parameters (vocab 32000, d 512, 8 layers, 8 heads, 4 KV heads, MLP
 * 1376) with 20 random rank-16 modules on q_proj and v_proj, scored on 5 examples of 48 prompt
 * tokens (label -100) and 16 target tokens, through {@link LlamaModel#causalLoss} as the BaseModel
 * does.
 *
 * <p>Usage: {@code LlamaEvalBenchmark [repetitions, default 10]}. Run with {@code
 * -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1} and {@code OPT_OUT_TRACKING=true}.
 */
public final class LlamaEvalBenchmark {
    private LlamaEvalBenchmark() {}

    /**
     * @param args optional repetitions
     * @throws IOException if the fixture cannot be read
     */
    public static void main(String[] args) throws IOException {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty(
                "ai.djl.pytorch.num_threads",
                System.getProperty("ai.djl.pytorch.num_threads", "1"));
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        System.out.printf(
                Locale.ROOT,
                "%-12s %9s %9s %9s %9s %9s %9s %7s %9s %10s %10s %10s %10s%n",
                "model",
                "params",
                "compose",
                "patch",
                "forward",
                "restore",
                "fwd-alone",
                "ratio",
                "overhead",
                "copies MB",
                "RSS+ MB",
                "patch CPU",
                "rest. CPU");
        System.out.println(
                "(ms per evaluation, medians; ratio = (compose+patch+forward+restore)/fwd-alone;"
                        + " overhead = (compose+patch+restore)/fwd-alone;"
                        + " CPU = calling-thread CPU ms)");
        DjlRuntime.start(); // no network, quiet logs, threads: before DJL starts
        try (NDManager root = NDManager.newBaseManager()) {
            Path fixture = findFixture();
            if (fixture != null) {
                try (LlamaModel model = LlamaFiles.load(fixture.resolve("model"), root)) {
                    List<LoraModule> modules = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        modules.add(LoraModule.load(fixture.resolve("adapters/adapter_" + i)));
                    }
                    // a tiny forward is noisy: more repetitions
                    run("hf-tiny", model, modules, batch(1, 2, 8, 256), 0, 20 * reps, root);
                }
            } else {
                System.out.println("hf-tiny: lorahub-core/src/test/fixtures not found (run from the checkout), skipped");
            }
            LlamaConfig big = LlamaConfig.of(32000, 512, 1376, 8, 8, 4);
            try (LlamaModel model = LlamaModel.create(big, 1, root)) {
                List<LoraModule> modules = randomModules(big, 20, 16, 2);
                // LoraHub-style examples: 48 prompt tokens (label -100) then 16 target tokens
                run("random-56M", model, modules, batch(3, 5, 64, big.vocabSize()), 48, reps, root);
            }
        }
    }

    private static void run(
            String name,
            LlamaModel model,
            List<LoraModule> modules,
            int[][] batch,
            int prompt,
            int reps,
            NDManager root)
            throws IOException {
        int b = batch.length;
        int t = batch[0].length;
        int[] flat = new int[b * t];
        int[] labels = new int[b * t];
        for (int r = 0; r < b; r++) {
            System.arraycopy(batch[r], 0, flat, r * t, t);
            System.arraycopy(batch[r], 0, labels, r * t, t);
            java.util.Arrays.fill(labels, r * t, r * t + prompt, -100);
        }
        Random rnd = new Random(42);
        Composer composer = Composer.of(MergeStrategy.LORAHUB);
        long copyBytes = 0;
        for (LoraLayer l :
                composer.merge("probe", modules, new double[modules.size()]).layers().values()) {
            copyBytes += 4L * l.outFeatures() * l.inFeatures();
        }
        int warm = 2;
        double[][] ms = new double[7][reps];
        java.lang.management.ThreadMXBean cpu =
                java.lang.management.ManagementFactory.getThreadMXBean();
        long rssGrowth = 0;
        try (InPlaceLora lora = new InPlaceLora(model.linearWeights(), root)) {
            for (int i = 0; i < warm + reps; i++) {
                double[] w = new double[modules.size()];
                for (int k = 0; k < w.length; k++) {
                    w[k] = rnd.nextDouble() * 3 - 1.5;
                }
                long t0 = System.nanoTime();
                LoraModule merged = composer.merge("candidate", modules, w);
                long t1 = System.nanoTime();
                long rssBefore = rssBytes();
                long c1 = cpu.getCurrentThreadCpuTime();
                lora.apply(merged);
                long c2 = cpu.getCurrentThreadCpuTime();
                long t2 = System.nanoTime();
                rssGrowth = Math.max(rssGrowth, rssBytes() - rssBefore);
                loss(model, flat, labels, b, t);
                long t3 = System.nanoTime();
                long c3 = cpu.getCurrentThreadCpuTime();
                lora.restore();
                long c4 = cpu.getCurrentThreadCpuTime();
                long t4 = System.nanoTime();
                loss(model, flat, labels, b, t);
                long t5 = System.nanoTime();
                if (i >= warm) {
                    int j = i - warm;
                    ms[0][j] = (t1 - t0) / 1e6;
                    ms[1][j] = (t2 - t1) / 1e6;
                    ms[2][j] = (t3 - t2) / 1e6;
                    ms[3][j] = (t4 - t3) / 1e6;
                    ms[4][j] = (t5 - t4) / 1e6;
                    ms[5][j] = (c2 - c1) / 1e6;
                    ms[6][j] = (c4 - c3) / 1e6;
                }
            }
        }
        double compose = median(ms[0]);
        double patch = median(ms[1]);
        double forward = median(ms[2]);
        double restore = median(ms[3]);
        double alone = median(ms[4]);
        System.out.printf(
                Locale.ROOT,
                "%-12s %8.1fM %9.3f %9.3f %9.3f %9.3f %9.3f %7.3f %8.1f%% %10.2f %10.2f %10.3f"
                        + " %10.3f%n",
                name,
                model.parameterCount() / 1e6,
                compose,
                patch,
                forward,
                restore,
                alone,
                (compose + patch + forward + restore) / alone,
                100 * (compose + patch + restore) / alone,
                copyBytes / 1e6,
                rssGrowth / 1e6,
                median(ms[5]),
                median(ms[6]));
    }

    private static double loss(LlamaModel model, int[] flat, int[] labels, int b, int t) {
        try (NDManager call = model.manager().newSubManager()) {
            NDArray ids = call.create(flat, new Shape(b, t));
            NDArray y = call.create(labels, new Shape(b, t));
            return model.causalLoss(ids, null, y, Map.of()).getFloat();
        }
    }

    private static List<LoraModule> randomModules(LlamaConfig c, int n, int r, long seed) {
        Random rnd = new Random(seed);
        List<LoraModule> out = new ArrayList<>();
        Map<String, long[]> shapes = LlamaLayout.shapes(c);
        for (int i = 0; i < n; i++) {
            List<LoraLayer> layers = new ArrayList<>();
            for (String path : LlamaLayout.linearModules(c)) {
                if (!path.endsWith("q_proj") && !path.endsWith("v_proj")) {
                    continue;
                }
                long[] shape = shapes.get(path + ".weight");
                int out2 = (int) shape[0];
                int in = (int) shape[1];
                layers.add(
                        new LoraLayer(
                                path,
                                r,
                                in,
                                out2,
                                gauss(rnd, r * in, 0.02),
                                gauss(rnd, out2 * r, 0.02),
                                2.0,
                                false));
            }
            out.add(
                    new LoraModule(
                            "module_" + i,
                            new AdapterConfig("random", r, 2.0 * r, List.of("q_proj", "v_proj")),
                            layers));
        }
        return out;
    }

    private static float[] gauss(Random rnd, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return v;
    }

    private static int[][] batch(long seed, int rows, int len, int vocab) {
        Random rnd = new Random(seed);
        int[][] out = new int[rows][len];
        for (int[] row : out) {
            for (int i = 0; i < len; i++) {
                row[i] = rnd.nextInt(vocab);
            }
        }
        return out;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    private static Path findFixture() {
        String prop = System.getProperty("lorahub.testdata");
        List<Path> candidates = new ArrayList<>();
        if (prop != null) {
            candidates.add(Path.of(prop, "hf-tiny/llama"));
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
            candidates.add(dir.resolve("lorahub-core/src/test/fixtures/hf-tiny/llama"));
        }
        return candidates.stream().filter(Files::isDirectory).findFirst().orElse(null);
    }
}
