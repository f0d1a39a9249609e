package dev.lorahub.bench;

import dev.lorahub.Composer;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.io.FileHash;
import dev.lorahub.io.SafetensorsReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * How fast LoraHub's merges run compared with copying the same bytes.
 *
 * <p>Writes 20 random adapters shaped like LoraHub's Flan-T5-large modules ({@link
 * SyntheticAdapters#FLAN_T5_LARGE}: r = 16, q and v of 24 encoder and 24 decoder blocks including
 * cross-attention, d_model 1024, F32; 18 MiB of tensors each) to a temp folder, then times, as the
 * median of several runs after warm-up:
 *
 * <ul>
 *   <li>the baseline: {@code System.arraycopy} of all adapters' tensor bytes, heap to heap;
 *   <li>for reference, a bulk copy of the same bytes from the memory-mapped files to the heap (the
 *       floor for a loader that decodes from the mapped file), and the SHA-256 of the files;
 *   <li>{@code LoraModule.load} of the 20 folders, and load followed by {@code sha256()} (the hash
 *       is computed on first call, for provenance, not by the load itself);
 *   <li>for LORAHUB and CAT: load + merge, and merge only (modules already in memory).
 * </ul>
 *
 * Each line prints the time, the throughput in GB/s of adapter tensor bytes read (10^9 bytes/s),
 * and the ratio time / baseline time, twice: for wall time and for the benchmark thread's CPU time
 * (GC and JIT threads excluded). On a busy shared machine wall time mostly measures waiting for a
 * core, so compare the CPU columns there. The aim is a merge within 2x of the baseline.
 *
 * <p>Usage: {@code java -cp lorahub.jar dev.lorahub.bench.MergeBenchmark [--adapters 20] [--reps 5]
 * [--warmup 2] [--dir DIR]} (without {@code --dir} a temp folder is created and deleted).
 */
public final class MergeBenchmark {
    private static volatile double sink;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private MergeBenchmark() {}

    /** A timed action. */
    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    /**
     * Medians of one timed action.
     *
     * @param wallMillis elapsed time
     * @param cpuMillis CPU time of the benchmark thread (excludes GC and JIT threads); on a busy
     *     shared machine this is the fairer figure, since wall time includes waiting for a core
     */
    private record Timing(double wallMillis, double cpuMillis) {}

    /**
     * @param args {@code --adapters N --reps N --warmup N --dir DIR}, all optional
     */
    public static void main(String[] args) throws Exception {
        int count = intOption(args, "--adapters", 20);
        int reps = intOption(args, "--reps", 5);
        int warmup = intOption(args, "--warmup", 2);
        String dirArg = option(args, "--dir");
        Path root = dirArg == null ? Files.createTempDirectory("lorahub-bench") : Path.of(dirArg);
        try {
            run(root, count, reps, warmup);
        } finally {
            if (dirArg == null) {
                deleteTree(root);
            }
        }
    }

    private static void run(Path root, int count, int reps, int warmup) throws Exception {
        SyntheticAdapters shape = SyntheticAdapters.FLAN_T5_LARGE;
        long start = System.nanoTime();
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path dir = root.resolve(String.format(Locale.ROOT, "adapter_%02d", i));
            if (!Files.exists(dir.resolve("adapter_model.safetensors"))) {
                shape.write(dir, 1000L + 17 * i);
            }
            dirs.add(dir);
        }
        long bytes = count * shape.tensorBytesPerAdapter();
        System.out.printf(
                Locale.ROOT,
                "MergeBenchmark: %d adapters x %d layers (r=%d, d_model=%d, F32) = %.1f MB of"
                        + " tensors, in %s (ready in %.1f s)%n",
                count,
                shape.modulePaths().size(),
                shape.rank(),
                shape.dModel(),
                bytes / 1e6,
                root,
                (System.nanoTime() - start) / 1e9);
        System.out.printf(
                Locale.ROOT,
                "Java %s, %d CPUs, max heap %d MB; %d runs after %d warm-ups, medians%n%n",
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20,
                reps,
                warmup);

        Timing copy = copyBaseline(dirs, warmup, reps);
        header();
        row("baseline: memory copy (arraycopy)", copy, bytes, copy);
        Timing mapped =
                median(
                        warmup,
                        reps,
                        () -> {
                            for (Path dir : dirs) {
                                sink += mappedCopy(dir.resolve("adapter_model.safetensors"));
                            }
                        });
        row("reference: mmap -> heap bulk copy", mapped, bytes, copy);
        Timing hash =
                median(
                        warmup,
                        reps,
                        () -> {
                            for (Path dir : dirs) {
                                Path file = dir.resolve("adapter_model.safetensors");
                                sink += FileHash.snapshot(file).sha256().charAt(0);
                            }
                        });
        row("reference: SHA-256 of the files", hash, bytes, copy);

        double[] weights = new SplittableRandom(7).doubles(count, -1.5, 1.5).toArray();
        Timing load = median(warmup, reps, () -> sink += checksum(loadAll(dirs)));
        row("LoraModule.load x" + count, load, bytes, copy);
        Timing loadHash =
                median(
                        warmup,
                        reps,
                        () -> {
                            for (LoraModule m : loadAll(dirs)) {
                                sink += m.sha256().orElseThrow().charAt(0);
                            }
                        });
        row("LoraModule.load + sha256() x" + count, loadHash, bytes, copy);
        List<LoraModule> modules = loadAll(dirs);
        List<String> summary = new ArrayList<>();
        for (MergeStrategy strategy : List.of(MergeStrategy.LORAHUB, MergeStrategy.CAT)) {
            Composer composer = Composer.of(strategy);
            Timing loadMerge =
                    median(
                            warmup,
                            reps,
                            () -> {
                                LoraModule merged = composer.merge("bench", loadAll(dirs), weights);
                                sink += checksum(List.of(merged));
                            });
            row(strategy + " load + merge", loadMerge, bytes, copy);
            Timing mergeOnly =
                    median(
                            warmup,
                            reps,
                            () -> {
                                LoraModule merged = composer.merge("bench", modules, weights);
                                sink += checksum(List.of(merged));
                            });
            row(strategy + " merge only (in memory)", mergeOnly, bytes, copy);
            summary.add(
                    String.format(
                            Locale.ROOT,
                            "%s merge only %.2fx (cpu %.2fx), load + merge %.2fx (cpu %.2fx)",
                            strategy,
                            mergeOnly.wallMillis() / copy.wallMillis(),
                            mergeOnly.cpuMillis() / copy.cpuMillis(),
                            loadMerge.wallMillis() / copy.wallMillis(),
                            loadMerge.cpuMillis() / copy.cpuMillis()));
        }
        System.out.printf(
                Locale.ROOT,
                "%naim: merge within 2x of the memory copy time. %s. (checksum %.3g)%n",
                String.join("; ", summary),
                sink);
    }

    /** Times System.arraycopy of every adapter's tensor bytes, heap to heap. */
    private static Timing copyBaseline(List<Path> dirs, int warmup, int reps) throws Exception {
        int count = dirs.size();
        byte[][] source = new byte[count][];
        byte[][] target = new byte[count][];
        for (int i = 0; i < count; i++) {
            source[i] = tensorBytes(dirs.get(i).resolve("adapter_model.safetensors"));
            target[i] = new byte[source[i].length];
        }
        return median(
                warmup,
                reps,
                () -> {
                    for (int i = 0; i < count; i++) {
                        System.arraycopy(source[i], 0, target[i], 0, source[i].length);
                    }
                    sink += target[count - 1][target[count - 1].length - 1];
                });
    }

    private static void header() {
        System.out.printf(
                Locale.ROOT,
                "%-40s %10s %8s %7s | %10s %8s %7s%n",
                "",
                "wall ms",
                "GB/s",
                "ratio",
                "cpu ms",
                "GB/s",
                "ratio");
    }

    private static void row(String what, Timing t, long bytes, Timing baseline) {
        System.out.printf(
                Locale.ROOT,
                "%-40s %10.1f %8.2f %6.2fx | %10.1f %8.2f %6.2fx%n",
                what,
                t.wallMillis(),
                bytes / (t.wallMillis() / 1e3) / 1e9,
                t.wallMillis() / baseline.wallMillis(),
                t.cpuMillis(),
                bytes / (t.cpuMillis() / 1e3) / 1e9,
                t.cpuMillis() / baseline.cpuMillis());
    }

    /**
     * @return the median wall and thread-CPU times of {@code reps} runs after warm-up
     */
    private static Timing median(int warmup, int reps, Action action) throws Exception {
        for (int i = 0; i < warmup; i++) {
            action.run();
        }
        double[] wall = new double[reps];
        double[] cpu = new double[reps];
        for (int i = 0; i < reps; i++) {
            System.gc(); // collect the previous run's garbage outside the timed region
            long c0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            action.run();
            wall[i] = (System.nanoTime() - t0) / 1e6;
            cpu[i] = (THREADS.getCurrentThreadCpuTime() - c0) / 1e6;
        }
        return new Timing(middle(wall), middle(cpu));
    }

    private static double middle(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static List<LoraModule> loadAll(List<Path> dirs) throws IOException {
        List<LoraModule> modules = new ArrayList<>(dirs.size());
        for (Path dir : dirs) {
            modules.add(LoraModule.load(dir));
        }
        return modules;
    }

    /** Touches one value per layer so no work can be skipped. */
    private static double checksum(List<LoraModule> modules) {
        double s = 0;
        for (LoraModule m : modules) {
            for (LoraLayer l : m.layers().values()) {
                float[] b = new float[l.outFeatures() * l.rank()];
                l.copyLoraB(b, 0);
                s += b[0] + b[b.length - 1];
            }
        }
        return s;
    }

    /**
     * @return the data section (all tensors) of a safetensors file, copied to the heap
     */
    private static byte[] tensorBytes(Path file) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            long dataStart = reader.dataStart();
            byte[] all = Files.readAllBytes(file);
            return Arrays.copyOfRange(all, (int) dataStart, all.length);
        }
    }

    /** Maps a file and bulk-copies its tensor bytes to a fresh heap array. */
    private static double mappedCopy(Path file) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(file);
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long dataStart = reader.dataStart();
            ByteBuffer map =
                    ch.map(FileChannel.MapMode.READ_ONLY, dataStart, ch.size() - dataStart);
            byte[] dst = new byte[map.remaining()];
            map.get(dst);
            return dst[dst.length - 1];
        }
    }

    private static String option(String[] args, String name) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return null;
    }

    private static int intOption(String[] args, String name, int fallback) {
        String v = option(args, name);
        if (v == null) {
            return fallback;
        }
        int n = Integer.parseInt(v);
        if (n < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + n);
        }
        return n;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
