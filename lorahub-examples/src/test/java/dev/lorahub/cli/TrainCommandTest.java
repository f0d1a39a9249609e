package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lorahub train}'s bad-input paths: one line naming the file, the line and the problem. */
class TrainCommandTest {
    @TempDir Path tmp;

    private CliRun train(Path examples) {
        return CliRun.of(
                "train",
                "--model",
                tmp.resolve("no-model-needed").toString(),
                "--examples",
                examples.toString(),
                "--out",
                tmp.resolve("out").toString());
    }

    @Test
    void a_line_that_is_not_json_is_named_with_its_file_and_number() throws IOException {
        Path f = tmp.resolve("cut.jsonl");
        Files.writeString(f, "{\"input\":\"abc\",\"output\":\"x\"}\n{\"input\":\"abc\"\n");
        CliRun run = train(f);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err()).startsWith("lorahub train: " + f + ": line 2: not JSON");
    }

    @Test
    void a_token_line_is_named_with_its_key_without_an_exception_class() throws IOException {
        Path f = tmp.resolve("ids.jsonl");
        Files.writeString(f, "{\"input_ids\":[1,2,3]}\n");
        CliRun run = train(f);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.errLines().get(0))
                .isEqualTo(
                        "lorahub train: "
                                + f
                                + ": line 1: key 'input_ids': expected a text example"
                                + " {\"input\", \"output\"}, not token ids")
                .doesNotContain("Exception");
    }

    @Test
    void a_model_whose_vocabulary_is_not_the_hub_tokenizer_is_refused() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        Path f = tmp.resolve("ok.jsonl");
        Files.writeString(f, "{\"input\":\"abc\",\"output\":\"cba\"}\n");
        CliRun run =
                CliRun.of(
                        "train",
                        "--model",
                        llama.resolve("model").toString(),
                        "--examples",
                        f.toString(),
                        "--steps",
                        "1",
                        "--out",
                        tmp.resolve("out").toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err())
                .contains(llama.resolve("model").toString())
                .contains("vocabulary of 256 ids")
                .contains("(64 ids)");
        assertThat(tmp.resolve("out")).doesNotExist();
    }
}
