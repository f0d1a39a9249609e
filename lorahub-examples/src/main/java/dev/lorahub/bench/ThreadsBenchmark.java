package dev.lorahub.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.llama.LlamaFiles;
import dev.lorahub.djl.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * How the intra-op thread count changes the time of one forward + loss, the unit of every LoraHub
 * evaluation: a random LLaMA of about 56M parameters (vocab 32000, d 512, 8 layers), or the
 * LLaMA-family model folder given, on 5 examples of 64 tokens, timed with each thread count in turn inside every repetition (interleaved, so a
 * change of load on a shared machine hits every count alike), through {@link
 * DjlRuntime#setThreads(int)}. Prints the median ms per count and its ratio to one thread measured
 * in the same run, and the default {@link DjlRuntime#defaultThreads()} would choose here.
 *
 * <p>Usage: {@code ThreadsBenchmark [repetitions, default 20] [thread counts, default 1,2,...,
 * availableProcessors] [model folder, default the random 56M]}.
 */
public final class ThreadsBenchmark {
    private ThreadsBenchmark() {}

    /**
     * @param args optional repetitions, comma-separated thread counts and model folder
     * @throws IOException if the model folder cannot be read
     */
    public static void main(String[] args) throws IOException {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int cpus = Runtime.getRuntime().availableProcessors();
        int[] counts =
                args.length > 1
                        ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                        : java.util.stream.IntStream.rangeClosed(1, cpus).toArray();
        DjlRuntime.start();
        Path folder = args.length > 2 ? Path.of(args[2]) : null;
        int b = 5;
        int t = 64;
        double[][] ms = new double[counts.length][reps];
        String what;
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model =
                        folder == null
                                ? LlamaModel.create(LlamaConfig.of(32000, 512, 1376, 8, 8, 4), 1, root)
                                : LlamaFiles.load(folder, root)) {
            what = folder == null ? "a random 56M LLaMA" : folder.toString();
            Random rnd = new Random(3);
            int[] ids = new int[b * t];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rnd.nextInt(model.config().vocabSize());
            }
            for (int i = -2; i < reps; i++) { // two warm-up rounds
                for (int k = 0; k < counts.length; k++) {
                    DjlRuntime.setThreads(counts[k]);
                    long t0 = System.nanoTime();
                    loss(model, ids, b, t);
                    double dt = (System.nanoTime() - t0) / 1e6;
                    if (i >= 0) {
                        ms[k][i] = dt;
                    }
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%s, %d available processors, default threads %d, %d repetitions, forward+loss of"
                        + " 5x64 tokens on %s%n",
                Instant.now(),
                cpus,
                DjlRuntime.defaultThreads(),
                reps,
                what);
        System.out.printf(Locale.ROOT, "%8s %12s %12s %12s %16s%n", "threads", "median ms",
                "min ms", "max ms", "ratio to 1 thr");
        double base = median(ms[0]);
        for (int k = 0; k < counts.length; k++) {
            double[] s = ms[k].clone();
            Arrays.sort(s);
            System.out.printf(Locale.ROOT, "%8d %12.1f %12.1f %12.1f %16.2f%n", counts[k],
                    median(ms[k]), s[0], s[s.length - 1], median(ms[k]) / base);
        }
    }

    private static double loss(LlamaModel model, int[] flat, int b, int t) {
        try (NDManager call = model.manager().newSubManager()) {
            NDArray x = call.create(flat, new Shape(b, t));
            return model.causalLoss(x, null, x, Map.of()).getFloat();
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
