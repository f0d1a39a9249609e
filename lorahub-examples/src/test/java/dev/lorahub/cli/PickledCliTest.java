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

/**
 * PyTorch pickles wherever the CLI takes safetensors: a pickled base model folder
 * ({@code pytorch_model.bin}) and pickled adapters ({@code adapter_model.bin}) in {@code score},
 * {@code merge} and {@code learn}. Truth: the safetensors originals the pickles were made from
 * (pickles/README.md) and the losses transformers/PEFT recorded for them (hf-tiny results.json).
 */
class PickledCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    private Path examples() throws IOException {
        // the hf-tiny forward batch; row 1 without its two padded positions
        Path f = tmp.resolve("examples.jsonl");
        Files.writeString(
                f,
                "{\"input_ids\":[1,45,77,3,190,23,5,88],\"labels\":[1,45,77,3,190,23,5,88]}\n"
                        + "{\"input_ids\":[1,12,200,31,9,140]}\n");
        return f;
    }

    @Test
    void score_reads_a_pickled_model_and_adapter_and_gives_the_recorded_loss() throws IOException {
        double expected =
                JSON.readTree(TestData.require("hf-tiny/llama/ref/results.json").toFile())
                        .at("/losses/adapter_0")
                        .asDouble();
        for (String adapter :
                new String[] {
                    "pickles/llama/adapter_0", "pickles/variants/llama_adapter_0_legacy_shared_storage"
                }) {
            CliRun run =
                    CliRun.of(
                            "score",
                            "--model",
                            TestData.require("pickles/llama/model").toString(),
                            "--adapter",
                            TestData.require(adapter).toString(),
                            "--examples",
                            examples().toString());
            assertThat(run.exitCode()).as(run.toString()).isZero();
            double loss = JSON.readTree(run.out()).get("loss").asDouble();
            assertThat(Math.abs(loss - expected) / expected).as(adapter).isLessThan(1e-5);
        }
    }

    @Test
    void merging_pickled_adapters_writes_the_bytes_their_safetensors_originals_give()
            throws IOException {
        String[] pickled = {
            TestData.require("pickles/llama/adapter_0").toString(),
            TestData.require("pickles/variants/llama_adapter_0_zip_shared_storage").toString()
        };
        String[] originals = {
            TestData.require("hf-tiny/llama/adapters/adapter_0").toString(),
            TestData.require("hf-tiny/llama/adapters/adapter_0").toString()
        };
        Path a = tmp.resolve("from_pickles");
        Path b = tmp.resolve("from_safetensors");
        CliRun ra =
                CliRun.of("merge", "--strategy", "cat", "--weights", "0.7,-0.4", "--out", a.toString(),
                        pickled[0], pickled[1]);
        CliRun rb =
                CliRun.of("merge", "--strategy", "cat", "--weights", "0.7,-0.4", "--out", b.toString(),
                        originals[0], originals[1]);
        assertThat(ra.exitCode()).as(ra.toString()).isZero();
        assertThat(rb.exitCode()).as(rb.toString()).isZero();
        assertThat(Files.readAllBytes(a.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(b.resolve("adapter_model.safetensors")));
    }

    @Test
    void learn_runs_on_a_pickled_model_with_pickled_modules() throws IOException {
        Path out = tmp.resolve("out");
        CliRun run =
                CliRun.of(
                        "learn",
                        "--model",
                        TestData.require("pickles/llama/model").toString(),
                        "--modules",
                        TestData.require("pickles/llama/adapter_0").toString(),
                        TestData.require("pickles/variants/llama_adapter_0_legacy_fp32").toString(),
                        "--examples",
                        examples().toString(),
                        "--budget",
                        "3",
                        "--out",
                        out.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode weights = JSON.readTree(out.resolve("weights.json").toFile());
        assertThat(weights.fieldNames()).toIterable().containsExactly("adapter_0", "llama_adapter_0_legacy_fp32");
        assertThat(out.resolve("adapter_model.safetensors")).isRegularFile();
    }
}
