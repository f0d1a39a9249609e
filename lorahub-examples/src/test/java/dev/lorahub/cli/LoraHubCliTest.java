package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.IncompatibleModulesException;
import dev.lorahub.io.AdapterFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

class LoraHubCliTest {

    /** A test-only subcommand that fails the way its argument says. */
    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Parameters(index = "0")
        String kind = "";

        @Override
        public Integer call() throws Exception {
            Path file = Path.of("/data/a/adapter_model.safetensors");
            switch (kind) {
                case "format" -> throw new AdapterFormatException(file, "header length 99 > file");
                case "missing" -> throw new NoSuchFileException("/data/nope");
                case "io" -> throw new IOException("/data/b: disk on fire");
                case "unchecked-io" ->
                        throw new UncheckedIOException(new NoSuchFileException("/data/c"));
                case "incompatible" ->
                        throw new IncompatibleModulesException(
                                "modules 'a', 'b': key q has shape [4, 64] vs [8, 64]");
                case "argument" -> throw new IllegalArgumentException("weights: 2 for 3 modules");
                case "multiline" -> throw new IllegalArgumentException("first\n  second\nthird");
                case "bug" -> throw new NullPointerException("oops");
                default -> {
                    return 0;
                }
            }
        }
    }

    private static CliRun boom(String... args) {
        CommandLine cl = LoraHubCli.commandLine();
        cl.addSubcommand(new Boom());
        return CliRun.on(cl, args);
    }

    @Test
    void help_lists_the_commands_and_the_global_verbose_option() {
        CliRun run = CliRun.of("--help");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("Usage: lorahub", "--verbose", "help");
    }

    @Test
    void no_subcommand_prints_usage_and_succeeds() {
        CliRun run = CliRun.of();
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("Usage: lorahub");
    }

    @Test
    void an_unknown_option_is_a_usage_error() {
        CliRun run = CliRun.of("--no-such-option");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_USAGE);
        assertThat(run.err()).contains("--no-such-option");
    }

    @Test
    void a_corrupt_file_gives_one_line_naming_the_file_and_no_stack_trace() {
        CliRun run = boom("boom", "format");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines())
                .as(run.toString())
                .containsExactly(
                        "lorahub boom: /data/a/adapter_model.safetensors: header length 99 > file");
    }

    @Test
    void a_missing_file_says_so_in_words() {
        CliRun run = boom("boom", "missing");
        assertThat(run.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines())
                .containsExactly("lorahub boom: /data/nope: no such file or folder");
    }

    @Test
    void unchecked_io_failures_are_unwrapped_and_treated_as_bad_input() {
        CliRun run = boom("boom", "unchecked-io");
        assertThat(run.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).containsExactly("lorahub boom: /data/c: no such file or folder");
    }

    @Test
    void other_io_errors_keep_their_message_and_class() {
        CliRun run = boom("boom", "io");
        assertThat(run.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines())
                .containsExactly("lorahub boom: IOException: /data/b: disk on fire");
    }

    @Test
    void incompatible_modules_and_bad_arguments_are_bad_input() {
        CliRun incompatible = boom("boom", "incompatible");
        CliRun argument = boom("boom", "argument");
        assertThat(incompatible.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(incompatible.errLines())
                .containsExactly(
                        "lorahub boom: modules 'a', 'b': key q has shape [4, 64] vs [8, 64]");
        assertThat(argument.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(argument.errLines()).containsExactly("lorahub boom: weights: 2 for 3 modules");
    }

    @Test
    void a_multi_line_message_is_folded_into_one_line() {
        CliRun run = boom("boom", "multiline");
        assertThat(run.errLines()).containsExactly("lorahub boom: first | second | third");
    }

    @Test
    void a_bug_exits_with_the_internal_code_and_still_one_line() {
        CliRun run = boom("boom", "bug");
        assertThat(run.exitCode()).isEqualTo(LoraHubCli.EXIT_INTERNAL);
        assertThat(run.errLines())
                .containsExactly("lorahub boom: internal error: NullPointerException: oops");
    }

    @Test
    void verbose_adds_the_stack_trace_before_or_after_the_subcommand() {
        for (String[] args :
                new String[][] {{"--verbose", "boom", "format"}, {"boom", "format", "-v"}}) {
            CliRun run = boom(args);
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
            assertThat(run.errLines().get(0))
                    .isEqualTo(
                            "lorahub boom: /data/a/adapter_model.safetensors:"
                                    + " header length 99 > file");
            assertThat(run.err())
                    .as(run.toString())
                    .contains("AdapterFormatException", "\tat dev.lorahub.cli.LoraHubCliTest$Boom");
        }
    }

    @Test
    void success_prints_nothing_on_stderr() {
        CliRun run = boom("boom", "fine");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
    }
}
