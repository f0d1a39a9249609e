package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AtomicFolder;
import dev.lorahub.testing.TestData;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code learn}, {@code merge} and {@code train} stopped at seeded random moments never leave a
 * partial or mixed {@code --out}.
 *
 * <p>A child JVM ({@link KillTarget}) runs one command in a loop, alternating between two argument
 * sets whose outputs differ, each run replacing the previous one's {@code --out}; so one launch
 * gives one stop at a random point of startup, the run or the write, and every write after the
 * first replaces a complete previous result. The truth is each argument set's output written
 * beforehand in this JVM: after every stop, {@code --out} must be one of them, file for file and
 * byte for byte (a learn result's timestamps and timings aside, its seed checked), and load.
 *
 * <ul>
 *   <li>{@code kill -9} (no hook, no {@code finally}): {@code --out} may also be absent, only with
 *       the previous result moved aside, which {@link AtomicFolder#recover} puts back; a staging
 *       folder may be left, at most one, since every write recovers first.
 *   <li>SIGINT (Ctrl-C), with the command line's shutdown hook: nothing is left beside {@code
 *       --out}, neither a staging folder nor an aside one, and {@code --out} is never absent.
 * </ul>
 *
 * Stops run in two lanes at once (two children, two output folders) to keep the test within a few
 * minutes on two cores.
 *
 * <p>Every child is started through {@code env --default-signal=INT} (GNU coreutils 8.31 or later),
 * so that its SIGINT is caught by the JVM as in a terminal's foreground job, whatever the test's
 * JVM inherited: a process started in the background by a non-interactive shell ({@code mvn test
 * &} in a script) has SIGINT ignored, every process it starts inherits that, and a JVM that starts
 * with SIGINT ignored leaves it ignored (HotSpot's {@code JVM_RegisterSignal} refuses to install
 * its handler over an inherited SIG_IGN), so a SIGINT would be lost, whatever the command.
 */
class InterruptedWriteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int KILLS = 50;
    private static final int INTERRUPTS = 10;
    private static final int LANES = 2;
    private static final long SEED = 20261207L;

    /** Files that differ between two runs of the same arguments (timestamps, timings). */
    private static final Set<String> UNSTABLE = Set.of("provenance.json", "trace.csv");

    @TempDir Path tmp;

    private enum Stop {
        KILL,
        SIGINT
    }

    /** What the stops left, summed over the lanes; printed as the test's figures. */
    private record Tally(int stops, int afterAWrite, int stagingLeft, int absent, int[] found) {
        Tally plus(Tally o) {
            int[] f = found.clone();
            for (int i = 0; i < f.length; i++) {
                f[i] += o.found[i];
            }
            return new Tally(
                    stops + o.stops,
                    afterAWrite + o.afterAWrite,
                    stagingLeft + o.stagingLeft,
                    absent + o.absent,
                    f);
        }

        @Override
        public String toString() {
            return stops
                    + " stops, "
                    + afterAWrite
                    + " after >= 1 finished write, "
                    + stagingLeft
                    + " left a staging folder, "
                    + absent
                    + " left --out absent (previous put back), variants found "
                    + Arrays.toString(found);
        }
    }

    private static List<List<String>> mergeVariants() {
        Path adapters = TestData.require("hf-tiny/llama").resolve("adapters");
        List<List<String>> variants = new ArrayList<>();
        for (String w : List.of("0.5,-0.3,1.2", "1,1,1")) {
            variants.add(
                    List.of(
                            "merge",
                            "--strategy",
                            "cat",
                            "--weights",
                            w,
                            adapters.resolve("adapter_0").toString(),
                            adapters.resolve("adapter_1").toString(),
                            adapters.resolve("adapter_2").toString()));
        }
        return variants;
    }

    private List<List<String>> learnVariants() throws IOException {
        ToyModel model = ToyModel.create(ToyModelConfig.small());
        Path modelDir = tmp.resolve("toy-model");
        model.save(modelDir);
        List<LoraModule> modules = ToyTasks.modules(model.config(), modelDir.toString(), 3, 2, 4L);
        Path pool = tmp.resolve("pool");
        for (LoraModule m : modules) {
            m.save(pool.resolve(m.name()));
        }
        ToyTask task =
                ToyTasks.task(
                        model,
                        modules,
                        new double[] {0.9, 0.0, -0.6},
                        ToyTasks.Combination.SEPARATE_SUM,
                        5,
                        48,
                        2L);
        StringBuilder jsonl = new StringBuilder();
        for (FewShotExample e : task.examples()) {
            ObjectNode line = JSON.createObjectNode();
            line.set("input_ids", JSON.valueToTree(e.inputIds().orElseThrow()));
            line.set("labels", JSON.valueToTree(e.labels().orElseThrow()));
            jsonl.append(line).append('\n');
        }
        Path examples = tmp.resolve("examples.jsonl");
        Files.writeString(examples, jsonl);
        List<List<String>> variants = new ArrayList<>();
        for (String seed : List.of("1", "2")) {
            variants.add(
                    List.of(
                            "learn",
                            "--modules",
                            pool.toString(),
                            "--examples",
                            examples.toString(),
                            "--budget",
                            "8",
                            "--seed",
                            seed));
        }
        return variants;
    }

    private List<List<String>> trainVariants() throws IOException {
        Path examples = tmp.resolve("train.jsonl");
        Files.writeString(
                examples,
                "{\"input\":\"abc\",\"output\":\"cba\"}\n"
                        + "{\"input\":\"hello\",\"output\":\"olleh\"}\n");
        List<List<String>> variants = new ArrayList<>();
        for (String seed : List.of("1", "2")) {
            variants.add(
                    List.of(
                            "train",
                            "--model",
                            Path.of("hub/base").toAbsolutePath().toString(),
                            "--examples",
                            examples.toString(),
                            "--rank",
                            "2",
                            "--steps",
                            "1",
                            "--seed",
                            seed));
        }
        return variants;
    }

    @Test
    void kill_9_of_merge_at_random_moments_leaves_the_previous_or_the_new_folder()
            throws Exception {
        System.out.println("merge, kill -9: " + stopRepeatedly("merge", mergeVariants(), Stop.KILL, KILLS));
    }

    @Test
    void kill_9_of_learn_at_random_moments_leaves_the_previous_or_the_new_folder()
            throws Exception {
        System.out.println("learn, kill -9: " + stopRepeatedly("learn", learnVariants(), Stop.KILL, KILLS));
    }

    @Test
    void kill_9_of_train_at_random_moments_leaves_the_previous_or_the_new_folder()
            throws Exception {
        System.out.println("train, kill -9: " + stopRepeatedly("train", trainVariants(), Stop.KILL, KILLS));
    }

    @Test
    void sigint_of_merge_leaves_the_previous_or_the_new_folder_and_nothing_beside()
            throws Exception {
        System.out.println("merge, SIGINT: " + stopRepeatedly("merge", mergeVariants(), Stop.SIGINT, INTERRUPTS));
    }

    @Test
    void sigint_of_learn_leaves_the_previous_or_the_new_folder_and_nothing_beside()
            throws Exception {
        System.out.println("learn, SIGINT: " + stopRepeatedly("learn", learnVariants(), Stop.SIGINT, INTERRUPTS));
    }

    @Test
    void sigint_of_train_leaves_the_previous_or_the_new_folder_and_nothing_beside()
            throws Exception {
        System.out.println("train, SIGINT: " + stopRepeatedly("train", trainVariants(), Stop.SIGINT, INTERRUPTS));
    }

    /**
     * Writes each variant's output in process (the truths), then in {@value #LANES} lanes at once:
     * puts variant 0's output into the lane's {@code --out} as the previous result and {@code
     * stops / LANES} times launches the looping child, stops it after a seeded random delay from
     * its launch or from its first finished run (see {@link #when}), and checks the folder.
     */
    private Tally stopRepeatedly(
            String command, List<List<String>> variants, Stop how, int stops)
            throws Exception {
        List<Path> truths = new ArrayList<>();
        for (int v = 0; v < variants.size(); v++) {
            Path truth = tmp.resolve(command + "-truth-" + v);
            List<String> args = new ArrayList<>(variants.get(v));
            args.addAll(List.of("--out", truth.toString()));
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertThat(run.exitCode()).as(run.toString()).isZero();
            truths.add(truth);
        }
        assertThat(names(truths.get(0))).isEqualTo(names(truths.get(1)));
        ExecutorService pool = Executors.newFixedThreadPool(LANES);
        try {
            List<Future<Tally>> lanes = new ArrayList<>();
            for (int lane = 0; lane < LANES; lane++) {
                int l = lane;
                lanes.add(
                        pool.submit(
                                () ->
                                        lane(
                                                command,
                                                variants,
                                                truths,
                                                how,
                                                stops / LANES,
                                                l)));
            }
            Tally total = new Tally(0, 0, 0, 0, new int[variants.size()]);
            for (Future<Tally> f : lanes) {
                // bounded by the CI run itself; a few minutes on a quiet 2-core machine, far more
                // on a loaded one (a child JVM start took 10-50 s at load 25)
                total = total.plus(f.get(60, TimeUnit.MINUTES));
            }
            // enough stops must land after a write, or the test proves little: three in four
            // wait for the first finished run (see when), whatever the load
            assertThat(total.afterAWrite())
                    .as("stops after at least one finished write: %s", total)
                    .isGreaterThanOrEqualTo(stops / 2);
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    private Tally lane(
            String command,
            List<List<String>> variants,
            List<Path> truths,
            Stop how,
            int stops,
            int lane)
            throws Exception {
        Path parent = tmp.resolve(command + "-" + how + "-lane" + lane);
        Path out = parent.resolve("out");
        Files.createDirectories(parent);
        copyFolder(truths.get(0), out);
        List<String> childArgs = new ArrayList<>();
        for (List<String> v : variants) {
            childArgs.add("--variant");
            childArgs.addAll(v);
            childArgs.addAll(List.of("--out", out.toString()));
        }
        long[] t = calibrate(childArgs, parent);
        copyFolder(truths.get(0), out);
        long seed = SEED + 31L * command.hashCode() + 7L * how.ordinal() + lane;
        Random rnd = new Random(seed);
        System.out.printf(
                "%s %s lane %d: seed %d, calibration: first runs done at %s ms%n",
                command, how, lane, seed, Arrays.toString(t));
        int afterAWrite = 0;
        int stagingLeft = 0;
        int absent = 0;
        int[] found = new int[variants.size()];
        StringBuilder trace = new StringBuilder(); // per stop: delay ms, runs done, variant found
        for (int k = 0; k < stops; k++) {
            When when = when(rnd, t);
            long delay = when.ms();
            String what =
                    command + " " + how + " " + k + " of lane " + lane + " " + when
                            + ", first runs done at "
                            + Arrays.toString(t)
                            + " ms (seed "
                            + seed
                            + ")";
            Path log = parent.resolve("child.out");
            Path err = parent.resolve("child.err");
            Process child = launch(childArgs, log, err);
            try {
                // stops drawn from the launch keep startup (before any write) in the mix; the
                // others wait for the child's first finished run, however long the load makes it
                if (when.afterFirstRun()) {
                    awaitFirstRun(child, log, what);
                }
                if (!child.waitFor(delay, TimeUnit.MILLISECONDS)) {
                    if (how == Stop.KILL) {
                        child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
                    } else {
                        sigint(child);
                    }
                }
                if (!child.waitFor(2, TimeUnit.MINUTES)) {
                    throw new AssertionError(
                            what
                                    + ": still running 2 minutes after the stop; "
                                    + signalMasks(child.pid()));
                }
            } finally {
                // a failed check, or this lane cancelled because the other failed: leave no child
                if (child.isAlive()) {
                    child.destroyForcibly().waitFor(1, TimeUnit.MINUTES);
                }
            }
            List<String> done =
                    Files.readAllLines(log).stream()
                            .filter(l -> l.startsWith(KillTarget.DONE))
                            .toList();
            String errors = Files.readString(err);
            for (int i = 0; i < done.size(); i++) {
                // after a SIGINT the loop goes on while the shutdown hooks run: those runs fail
                // with AtomicFolder's "shutting down" refusal (their staging folder deleted, the
                // previous --out intact), and nothing else may fail
                if (how == Stop.SIGINT && !done.get(i).endsWith(" 0")) {
                    assertThat(errors.lines()
                                    .filter(l -> l.startsWith("lorahub ") && !l.contains("shutting down: "))
                                    .toList())
                            .as("%s: a run failed other than by the shutdown", what)
                            .isEmpty();
                    break;
                }
                assertThat(done.get(i)).as("%s: a run failed: %s", what, errors).endsWith(" 0");
            }
            afterAWrite += done.isEmpty() ? 0 : 1;
            List<String> beside = siblings(parent);
            long stagings = beside.stream().filter(n -> n.contains(AtomicFolder.STAGING)).count();
            stagingLeft += stagings > 0 ? 1 : 0;
            if (how == Stop.SIGINT) {
                assertThat(beside).as(what + ": left beside --out").isEmpty();
                assertThat(out).as(what).isDirectory();
            } else {
                assertThat(stagings).as(what + ": staging folders pile up: " + beside).isLessThanOrEqualTo(1);
                if (!Files.exists(out)) {
                    absent++;
                    assertThat(beside)
                            .as(what + ": --out absent without the previous moved aside")
                            .anyMatch(n -> n.contains(AtomicFolder.ASIDE));
                    assertThat(AtomicFolder.recover(out)).as(what).isTrue();
                }
            }
            int v = matchingVariant(out, truths, what);
            found[v]++;
            trace.append(' ')
                    .append(when.afterFirstRun() ? "+" : "")
                    .append(delay)
                    .append(':')
                    .append(done.size())
                    .append(':')
                    .append(v);
        }
        System.out.printf(
                "%s %s lane %d stops ([+ after the first run] delay ms:runs done:variant found):%s%n",
                command, how, lane, trace);
        return new Tally(stops, afterAWrite, stagingLeft, absent, found);
    }

    /**
     * Runs the child until its second run is done and returns the times from launch to the end of
     * its first and second runs, from which {@link #when} draws the stops, so that the test costs
     * about {@code t2} per stop on a fast or a slow machine alike. Leaves {@code --out} deleted.
     */
    private static long[] calibrate(List<String> childArgs, Path parent) throws Exception {
        Path log = parent.resolve("calibration.out");
        long t0 = System.nanoTime();
        long[] t = new long[2];
        Process child = launch(childArgs, log, parent.resolve("calibration.err"));
        try {
            for (int seen = 0; seen < 2; ) {
                long n =
                        Files.readAllLines(log).stream()
                                .filter(l -> l.startsWith(KillTarget.DONE))
                                .count();
                while (seen < n && seen < 2) {
                    t[seen++] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                }
                assertThat(child.isAlive())
                        .as(
                                "calibration child died: %s",
                                Files.readString(parent.resolve("calibration.err")))
                        .isTrue();
                assertThat(System.nanoTime() - t0)
                        .as("calibration took over 15 minutes")
                        .isLessThan(TimeUnit.MINUTES.toNanos(15));
                Thread.sleep(5);
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(1, TimeUnit.MINUTES);
        }
        AtomicFolder.recover(parent.resolve("out"));
        deleteFolder(parent.resolve("out"));
        AtomicFolder.recover(parent.resolve("out"));
        return t;
    }

    /** When to stop a child: {@code ms} after its launch, or after its first finished run. */
    private record When(boolean afterFirstRun, long ms) {
        @Override
        public String toString() {
            return (afterFirstRun ? "at its first finished run + " : "after ") + ms + " ms";
        }
    }

    /**
     * One stop in four is drawn in {@code [0, t2)} from the launch (startup, the first run and its
     * write); three in four in {@code [0, 2 (t2 - t1))} after the child has printed that its first
     * run is done (the next runs and their writes, each replacing a complete result), polled, so
     * that a load heavier than at calibration (a JVM start taking longer) does not push them all
     * before the first write.
     */
    private static When when(Random rnd, long[] t) {
        if (rnd.nextInt(4) == 0) {
            return new When(false, (long) (rnd.nextDouble() * t[1]));
        }
        return new When(true, (long) (rnd.nextDouble() * 2 * Math.max(1, t[1] - t[0])));
    }

    /** Polls the child's log until it says a run is done; fails if the child dies first. */
    private static void awaitFirstRun(Process child, Path log, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (Files.readAllLines(log).stream().noneMatch(l -> l.startsWith(KillTarget.DONE))) {
            assertThat(child.isAlive()).as(what + ": the child died before its first run ended").isTrue();
            assertThat(System.nanoTime()).as(what + ": no run done within 10 minutes").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static void deleteFolder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        for (String n : names(dir)) {
            Files.delete(dir.resolve(n));
        }
        Files.delete(dir);
    }

    private static void sigint(Process child) throws Exception {
        Process kill =
                new ProcessBuilder("kill", "-INT", Long.toString(child.pid()))
                        .redirectErrorStream(true)
                        .start();
        kill.waitFor(1, TimeUnit.MINUTES);
    }

    /**
     * @return the child's signal masks from {@code /proc/<pid>/status} (bit 1, value 2, is SIGINT:
     *     set in SigIgn means ignored, in SigCgt caught by the JVM)
     */
    private static String signalMasks(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(l -> l.startsWith("SigIgn") || l.startsWith("SigCgt"))
                    .map(l -> l.replace('\t', ' '))
                    .toList()
                    .toString();
        } catch (IOException e) {
            return "signal masks unreadable: " + e;
        }
    }

    /**
     * Starts {@link KillTarget} in a fresh JVM with SIGINT at its default disposition (see the class
     * comment), as a shell starts a foreground command.
     */
    private static Process launch(List<String> args, Path out, Path err) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.addAll(List.of("env", "--default-signal=INT"));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(
                List.of(
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-Xshare:auto",
                        "-Dai.djl.offline=true",
                        "-Dai.djl.pytorch.num_threads=1",
                        "-Dai.djl.pytorch.num_interop_threads=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        KillTarget.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        return pb.start();
    }

    private static List<String> siblings(Path parent) throws IOException {
        try (Stream<Path> s = Files.list(parent)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(".out"))
                    .sorted()
                    .toList();
        }
    }

    /**
     * @return the variant whose output {@code out} is: same file names, stable files byte-equal,
     *     and (for a learn result) the provenance's seed that variant's; it must load
     */
    private static int matchingVariant(Path out, List<Path> truths, String what)
            throws IOException {
        List<String> names = names(out);
        for (int v = 0; v < truths.size(); v++) {
            Path truth = truths.get(v);
            if (!names.equals(names(truth))) {
                continue;
            }
            boolean same = true;
            for (String n : names) {
                if (!UNSTABLE.contains(n)
                        && !Arrays.equals(
                                Files.readAllBytes(out.resolve(n)),
                                Files.readAllBytes(truth.resolve(n)))) {
                    same = false;
                }
            }
            if (same && names.contains("provenance.json")) {
                same =
                        JSON.readTree(out.resolve("provenance.json").toFile())
                                .get("seed")
                                .equals(
                                        JSON.readTree(truth.resolve("provenance.json").toFile())
                                                .get("seed"));
            }
            if (same) {
                LoraModule.load(out);
                return v;
            }
        }
        throw new AssertionError(what + ": --out is no variant's complete output: " + names);
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String n : names(from)) {
            Files.copy(from.resolve(n), to.resolve(n));
        }
    }
}
