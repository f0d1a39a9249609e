package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreAndGenerateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    private Path hfTinyExamples() throws IOException {
        // the hf-tiny forward batch; row 1 without its two padded positions
        Path f = tmp.resolve("examples.jsonl");
        Files.writeString(
                f,
                "{\"input_ids\":[1,45,77,3,190,23,5,88],\"labels\":[1,45,77,3,190,23,5,88]}\n"
                        + "{\"input_ids\":[1,12,200,31,9,140]}\n");
        return f;
    }

    @Test
    void score_prints_the_hf_loss_of_the_whole_file_as_one_batch() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        JsonNode results = JSON.readTree(llama.resolve("ref/results.json").toFile());
        Path examples = hfTinyExamples();
        for (String variant : new String[] {"base", "adapter_0"}) {
            CliRun run =
                    variant.equals("base")
                            ? CliRun.of(
                                    "score",
                                    "--model",
                                    llama.resolve("model").toString(),
                                    "--examples",
                                    examples.toString())
                            : CliRun.of(
                                    "score",
                                    "--model",
                                    llama.resolve("model").toString(),
                                    "--adapter",
                                    llama.resolve("adapters/" + variant).toString(),
                                    "--examples",
                                    examples.toString());
            assertThat(run.exitCode()).as(run.toString()).isZero();
            JsonNode out = JSON.readTree(run.out());
            double ref = results.get("losses").get(variant).asDouble();
            // README tolerance: 1e-5 relative
            assertThat(Math.abs(out.get("loss").asDouble() - ref) / ref)
                    .as(variant)
                    .isLessThan(1e-5);
            assertThat(out.get("tokens").asInt()).isEqualTo(7 + 5);
            assertThat(out.get("examples").asInt()).isEqualTo(2);
        }
    }

    @Test
    void score_with_dtype_f16_stays_close_to_the_hf_loss_and_bf16_is_refused_with_its_reason()
            throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        JsonNode results = JSON.readTree(llama.resolve("ref/results.json").toFile());
        Path examples = hfTinyExamples();
        String model = llama.resolve("model").toString();
        CliRun half =
                CliRun.of(
                        "score",
                        "--model",
                        model,
                        "--adapter",
                        llama.resolve("adapters/adapter_1").toString(),
                        "--examples",
                        examples.toString(),
                        "--dtype",
                        "f16");
        assertThat(half.exitCode()).as(half.toString()).isZero();
        double ref = results.get("losses").get("adapter_1").asDouble();
        double loss = JSON.readTree(half.out()).get("loss").asDouble();
        // docs/scale.md: float16 weights moved these losses by at most 1.1e-4 relative
        assertThat(Math.abs(loss - ref) / ref).isLessThan(5e-4).isGreaterThan(0);
        CliRun bf16 =
                CliRun.of("score", "--model", model, "--examples", examples.toString(), "--dtype", "bf16");
        assertThat(bf16.exitCode()).as(bf16.toString()).isEqualTo(2);
        assertThat(bf16.err()).contains("bf16").contains("aborts the JVM").contains("f16");
    }

    @Test
    void generate_prints_only_the_new_ids_as_json() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        JsonNode results = JSON.readTree(llama.resolve("ref/results.json").toFile());
        CliRun run =
                CliRun.of(
                        "generate",
                        "--model",
                        llama.resolve("model").toString(),
                        "--adapter",
                        llama.resolve("adapters/adapter_2").toString(),
                        "--input-ids",
                        "1,45,77,3,190",
                        "--max-new-tokens",
                        "5",
                        "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode out = JSON.readTree(run.out());
        JsonNode want = results.get("generate").get("adapter_2").get(0);
        assertThat(out.get("ids")).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(out.get("ids").get(i).asInt()).isEqualTo(want.get(5 + i).asInt());
        }
        assertThat(out.get("text").asText()).isEmpty();
    }

    @Test
    void top_k_1_sampling_gives_hf_greedy_ids_at_any_temperature() throws IOException {
        // GIVEN top-k 1: only the argmax survives the filter, so sampling at T = 5 is greedy
        Path llama = TestData.require("hf-tiny/llama");
        JsonNode want =
                JSON.readTree(llama.resolve("ref/results.json").toFile())
                        .get("generate")
                        .get("adapter_2")
                        .get(0);
        CliRun run =
                CliRun.of(
                        "generate",
                        "--model",
                        llama.resolve("model").toString(),
                        "--adapter",
                        llama.resolve("adapters/adapter_2").toString(),
                        "--input-ids",
                        "1,45,77,3,190",
                        "--max-new-tokens",
                        "5",
                        "--temperature",
                        "5",
                        "--seed",
                        "7",
                        "--top-k",
                        "1",
                        "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode ids = JSON.readTree(run.out()).get("ids");
        assertThat(ids).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(ids.get(i).asInt()).as("token %d", i).isEqualTo(want.get(5 + i).asInt());
        }
    }

    @Test
    void a_top_p_outside_0_1_is_refused_in_one_line_naming_the_value() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        CliRun run =
                CliRun.of(
                        "generate",
                        "--model",
                        llama.resolve("model").toString(),
                        "--input-ids",
                        "1,45",
                        "--max-new-tokens",
                        "2",
                        "--temperature",
                        "1",
                        "--top-p",
                        "0");
        assertThat(run.exitCode()).as(run.toString()).isNotZero();
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err()).contains("topP must be in (0, 1]", "got 0.0");
    }

    @Test
    void generate_from_text_with_the_gguf_tokenizer() throws IOException {
        Path dir = TestData.require("stories260K");
        JsonNode c = JSON.readTree(dir.resolve("expected.json").toFile()).get("cases").get(1);
        CliRun run =
                CliRun.of(
                        "generate",
                        "--model",
                        dir.resolve("stories260K.gguf").toString(),
                        "--prompt",
                        c.get("prompt_text").asText(),
                        "--max-new-tokens",
                        "60",
                        "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode out = JSON.readTree(run.out());
        assertThat(out.get("text").asText()).isEqualTo(c.get("generated_text").asText());
        assertThat(out.get("ids")).isEqualTo(c.get("generated_ids"));
    }

    @Test
    void bad_models_fail_with_one_line_naming_the_file() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("gpt"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"gpt2\"}");
        CliRun run =
                CliRun.of(
                        "score",
                        "--model",
                        dir.toString(),
                        "--examples",
                        hfTinyExamples().toString());
        assertThat(run.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).contains(dir.toString());
    }

    @Test
    void ids_outside_the_vocabulary_are_bad_input_naming_the_examples_file_and_the_id()
            throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        int vocab =
                JSON.readTree(llama.resolve("model/config.json").toFile())
                        .get("vocab_size")
                        .asInt();
        Path f = tmp.resolve("oov.jsonl");
        Files.writeString(f, "{\"input_ids\":[1,45,77]}\n{\"input_ids\":[1,45," + vocab + "]}\n");
        CliRun score =
                CliRun.of(
                        "score",
                        "--model",
                        llama.resolve("model").toString(),
                        "--examples",
                        f.toString());
        assertThat(score.exitCode()).as(score.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(score.errLines()).as(score.toString()).hasSize(1);
        assertThat(score.err())
                .contains(f.toString())
                .contains("example 1")
                .contains("id " + vocab + " at position 2");

        CliRun generate =
                CliRun.of(
                        "generate",
                        "--model",
                        llama.resolve("model").toString(),
                        "--input-ids",
                        "1,-5",
                        "--max-new-tokens",
                        "2");
        assertThat(generate.exitCode())
                .as(generate.toString())
                .isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(generate.errLines()).as(generate.toString()).hasSize(1);
        assertThat(generate.err()).contains("id -5 at position 1");
    }

    @Test
    void a_malformed_line_is_reported_with_the_file_and_its_line_number() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        Path f = tmp.resolve("broken.jsonl");
        Files.writeString(f, "{\"input_ids\":[1,45,77]}\n\n{\"input_ids\":[1,2\n");
        CliRun run =
                CliRun.of(
                        "score",
                        "--model",
                        llama.resolve("model").toString(),
                        "--examples",
                        f.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err()).contains(f + ": line 3: not JSON");
    }

    @Test
    void an_adapter_for_another_model_is_named_with_its_folder_and_base_model() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        Path t5 = TestData.require("hf-tiny/t5");
        Path adapter = t5.resolve("adapters/adapter_0");
        for (String command : new String[] {"score", "generate"}) {
            CliRun run =
                    command.equals("score")
                            ? CliRun.of(
                                    "score",
                                    "--model",
                                    llama.resolve("model").toString(),
                                    "--adapter",
                                    adapter.toString(),
                                    "--examples",
                                    hfTinyExamples().toString())
                            : CliRun.of(
                                    "generate",
                                    "--model",
                                    llama.resolve("model").toString(),
                                    "--adapter",
                                    adapter.toString(),
                                    "--input-ids",
                                    "1,2",
                                    "--max-new-tokens",
                                    "2");
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
            assertThat(run.errLines()).as(run.toString()).hasSize(1);
            assertThat(run.err())
                    .as(command)
                    .startsWith("lorahub " + command + ": " + adapter + ": targets '")
                    .contains(llama.resolve("model").toString())
                    .contains("base model 'hf-tiny/t5'");
        }
    }

    @Test
    void a_missing_model_is_reported_as_missing_not_as_unsupported() throws IOException {
        Path missing = tmp.resolve("no-such-model");
        CliRun run =
                CliRun.of(
                        "score",
                        "--model",
                        missing.toString(),
                        "--examples",
                        hfTinyExamples().toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err().strip())
                .isEqualTo("lorahub score: base model " + missing + ": no such file or folder");
    }

    @Test
    void threads_sets_the_engines_intra_op_thread_count_and_refuses_zero() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        try {
            CliRun run =
                    CliRun.of(
                            "score",
                            "--threads",
                            "2",
                            "--model",
                            llama.resolve("model").toString(),
                            "--examples",
                            hfTinyExamples().toString());
            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(dev.lorahub.djl.DjlRuntime.threads()).isEqualTo(2);
        } finally {
            dev.lorahub.djl.DjlRuntime.setThreads(1); // what the build gives every test
        }
        CliRun zero = CliRun.of("score", "--threads", "0", "--model", "m", "--examples", "e");
        assertThat(zero.exitCode()).isEqualTo(LoraHubCli.EXIT_USAGE);
        assertThat(zero.err()).contains("--threads must be at least 1, got 0");
    }
}
