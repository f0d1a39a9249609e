package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lorahub-examples/lorahub}, the launcher script, run with a stand-in {@code java} that
 * prints what it was given: the JVM options of docs/cli.md, the jar beside the script, the user's
 * arguments word for word, and {@code MALLOC_ARENA_MAX}.
 */
class LauncherScriptTest {
    private static final List<String> MEASURED_OPTIONS =
            List.of(
                    "-XX:+UseSerialGC",
                    "-Xmn32m",
                    "-XX:MinHeapFreeRatio=10",
                    "-XX:MaxHeapFreeRatio=20");

    @TempDir Path dir;

    @Test
    void starts_the_jar_beside_it_with_the_measured_options_and_the_arguments_word_for_word()
            throws Exception {
        Path script = install(true);
        Run run = run(script, Map.of(), "learn", "--out", "a b", "");
        assertThat(run.exit).isZero();
        List<String> expected = new ArrayList<>(MEASURED_OPTIONS);
        expected.addAll(
                List.of("-jar", dir.resolve("target/lorahub.jar").toString(), "learn", "--out"));
        expected.addAll(List.of("a b", "", "MALLOC_ARENA_MAX=2"));
        assertThat(run.lines).containsExactlyElementsOf(expected);
    }

    @Test
    void lorahub_java_opts_replaces_the_options_and_a_set_malloc_arena_max_is_kept()
            throws Exception {
        Path script = install(true);
        Run run =
                run(script, Map.of("LORAHUB_JAVA_OPTS", "-Xmx1g -Dx=y", "MALLOC_ARENA_MAX", "4"), "-V");
        assertThat(run.lines)
                .containsExactly(
                        "-Xmx1g",
                        "-Dx=y",
                        "-jar",
                        dir.resolve("target/lorahub.jar").toString(),
                        "-V",
                        "MALLOC_ARENA_MAX=4");
        Run none = run(script, Map.of("LORAHUB_JAVA_OPTS", ""), "-V");
        assertThat(none.lines)
                .containsExactly(
                        "-jar",
                        dir.resolve("target/lorahub.jar").toString(),
                        "-V",
                        "MALLOC_ARENA_MAX=2");
    }

    @Test
    void without_the_jar_it_says_which_file_is_missing_and_how_to_build_it() throws Exception {
        Path script = install(false);
        Run run = run(script, Map.of(), "demo");
        assertThat(run.exit).isEqualTo(2);
        assertThat(run.lines)
                .containsExactly(
                        "lorahub: "
                                + dir.resolve("target/lorahub.jar")
                                + " is missing; build it first: mvn -B -q package -DskipTests");
    }

    /** The script copied into the temporary folder, a stand-in java, and a jar if asked. */
    private Path install(boolean withJar) throws IOException {
        Path script = dir.resolve("lorahub");
        Files.copy(Path.of("lorahub"), script);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("target"));
        if (withJar) {
            Files.write(dir.resolve("target/lorahub.jar"), new byte[0]);
        }
        Path java = dir.resolve("fake-java");
        Files.writeString(
                java,
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n"
                        + "echo \"MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private record Run(int exit, List<String> lines) {}

    private Run run(Path script, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("LORAHUB_JAVA_OPTS");
        pb.environment().remove("MALLOC_ARENA_MAX");
        pb.environment().put("JAVA", dir.resolve("fake-java").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<String> lines = new ArrayList<>(out.lines().toList());
        return new Run(p.exitValue(), lines);
    }
}
