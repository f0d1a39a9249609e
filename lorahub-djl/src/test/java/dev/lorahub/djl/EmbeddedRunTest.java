package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.TestData;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lorahub as a dependency of an application that configured nothing: a child JVM without any of
 * DJL's switches (no {@code -Dai.djl.offline}, no {@code OPT_OUT_TRACKING} / {@code DJL_OFFLINE} in
 * its environment, which the build sets for every other test) and without an SLF4J provider (this
 * module's test class path has slf4j-simple; the child's does not) loads hf-tiny's llama and
 * composes its adapters. DJL's engine start-up asks 169.254.169.254 for an instance id unless
 * tracking is opted out, and SLF4J prints three warning lines when DJL asks for its first logger
 * without a provider; {@link DjlRuntime#start()} prevents both.
 */
class EmbeddedRunTest {
    @TempDir Path dir;

    @Test
    void a_library_run_opens_no_socket_prints_nothing_and_uses_half_the_processors()
            throws Exception {
        Path llama = TestData.require("hf-tiny/llama");
        Child c =
                child(
                        dir,
                        withoutSlf4jProvider(System.getProperty("java.class.path")),
                        "library",
                        llama.resolve("model").toString(),
                        llama.resolve("adapters").toString());
        assertThat(c.exit()).as("%s", c).isZero();
        assertThat(c.out()).as("%s", c).contains("weights: {").endsWith("sockets: []\n");
        assertThat(c.errWithoutJdkWarnings()).as("%s", c).isEmpty();
        // the documented default: half the available processors, at least 1
        var m = Pattern.compile("threads: (\\d+) of (\\d+)").matcher(c.out());
        assertThat(m.find()).as("%s", c).isTrue();
        int cpus = Integer.parseInt(m.group(2));
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(Math.max(1, cpus / 2));
    }

    /**
     * @param classPath a class path
     * @return it without slf4j-simple (or any other SLF4J provider jar this build uses)
     */
    static String withoutSlf4jProvider(String classPath) {
        String kept =
                Arrays.stream(classPath.split(File.pathSeparator))
                        .filter(e -> !e.contains("slf4j-simple") && !e.contains("slf4j-nop"))
                        .collect(Collectors.joining(File.pathSeparator));
        assertThat(kept).isNotEqualTo(classPath); // the filter did remove the provider
        return kept;
    }

    /** A finished child JVM. */
    record Child(int exit, String out, String err) {
        /**
         * @return stderr without the JDK's four "WARNING:" lines about the child's own
         *     setSecurityManager call, which are not lorahub's
         */
        String errWithoutJdkWarnings() {
            return err.lines()
                    .filter(l -> !l.startsWith("WARNING: "))
                    .collect(Collectors.joining("\n"));
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- out ---\n" + out + "--- err ---\n" + err;
        }
    }

    /**
     * Runs {@link EmbeddedRunMain} in a child JVM with the user's-machine environment: no DJL
     * switch, no {@code OMP_NUM_THREADS}.
     *
     * @param dir where to keep its output
     * @param classPath the child's class path
     * @param args {@link EmbeddedRunMain}'s arguments
     * @return its exit code, stdout and stderr
     */
    static Child child(Path dir, String classPath, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djava.security.manager=allow");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(EmbeddedRunMain.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DJL_") || k.equals("OPT_OUT_TRACKING"));
        env.remove("OMP_NUM_THREADS");
        Path out = Files.createTempFile(dir, "child", ".out");
        Path err = Files.createTempFile(dir, "child", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish in 180 s");
        }
        return new Child(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
