package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No socket is opened by a lorahub command line run in a JVM where the user set none of DJL's
 * switches: the child JVM gets neither {@code -Dai.djl.offline} nor {@code
 * OPT_OUT_TRACKING} / {@code DJL_OFFLINE} (which the build sets for every other test). DJL's
 * engine start-up asks 169.254.169.254 for an instance id unless tracking is opted out; {@link
 * dev.lorahub.djl.DjlRuntime} opts out. (lorahub-djl's {@code EmbeddedRunTest} checks a library
 * run the same way.)
 */
class NoNetworkTest {
    @TempDir Path dir;

    @Test
    void the_command_line_learn_opens_no_socket_and_keeps_stderr_free_of_log_lines()
            throws Exception {
        Path llama = TestData.require("hf-tiny/llama");
        Path examples = dir.resolve("ex.jsonl");
        Files.writeString(
                examples,
                "{\"input_ids\": [1, 17, 42, 99, 7], \"labels\": [-100, -100, 42, 99, 7]}\n"
                        + "{\"input_ids\": [1, 200, 12, 5], \"labels\": [-100, -100, 12, 5]}\n");
        Child c =
                child(
                        "cli",
                        "learn",
                        "--model",
                        llama.resolve("model").toString(),
                        "--modules",
                        llama.resolve("adapters").toString(),
                        "--examples",
                        examples.toString(),
                        "--budget",
                        "3",
                        "--out",
                        dir.resolve("out").toString());
        assertThat(c.exit).as("%s", c).isZero();
        assertThat(c.out).as("%s", c).contains("sockets: []");
        // stderr is for the progress bar and real problems: no SLF4J or DJL log lines (the JDK's
        // four "WARNING:" lines about this test's own setSecurityManager call are not lorahub's)
        assertThat(c.err.lines().filter(l -> !l.startsWith("WARNING: ")))
                .as("%s", c)
                .isNotEmpty()
                .allMatch(l -> l.startsWith("learn "), "is a progress bar line");
    }

    @Test
    void the_command_line_eval_opens_no_socket_and_keeps_stderr_for_the_progress_bar()
            throws Exception {
        Path hub = Path.of("hub");
        Child c =
                child(
                        "cli",
                        "eval",
                        "--model",
                        hub.resolve("base").toString(),
                        "--adapter",
                        hub.resolve("ceilings/rev_atb").toString(),
                        "--examples",
                        hub.resolve("held-out/rev_atb/test.jsonl").toString(),
                        "--limit",
                        "8");
        assertThat(c.exit).as("%s", c).isZero();
        assertThat(c.out).as("%s", c).contains("sockets: []").contains("\"examples\":8");
        assertThat(c.err.lines().filter(l -> !l.startsWith("WARNING: ")))
                .as("%s", c)
                .isNotEmpty()
                .allMatch(l -> l.startsWith("eval "), "is a progress bar line");
    }

    private record Child(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out ---\n" + out + "--- err ---\n" + err;
        }
    }

    private Child child(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djava.security.manager=allow");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NoNetworkMain.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        // the user set nothing: no DJL switch inherited from the build
        env.keySet().removeIf(k -> k.startsWith("DJL_") || k.equals("OPT_OUT_TRACKING"));
        env.remove("OMP_NUM_THREADS");
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
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
