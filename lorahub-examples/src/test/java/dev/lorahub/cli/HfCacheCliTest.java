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
 * Models and adapters named by Hugging Face id on the command line, resolved in the hf-cache
 * fixture (written by huggingface_hub) through {@code --cache-dir}. Truth: the losses transformers
 * recorded for the two revisions (hf-cache/results.json) and for adapter_0 (hf-tiny results.json),
 * 1e-5 relative as in the fixtures' READMEs.
 */
class HfCacheCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "lorahub-test/tiny-llama";
    private static final String ADAPTER = "lorahub-test/tiny-llama-adapter-0";

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

    private static String hub() {
        return TestData.require("hf-cache").resolve("hub").toString();
    }

    @Test
    void score_takes_model_and_adapter_ids_and_a_revision() throws IOException {
        JsonNode verify =
                JSON.readTree(TestData.require("hf-cache/results.json").toFile())
                        .get("verify")
                        .get("symlinks");
        JsonNode tiny =
                JSON.readTree(TestData.require("hf-tiny/llama/ref/results.json").toFile())
                        .get("losses");
        String ex = examples().toString();
        assertLoss(
                CliRun.of("score", "--model", MODEL, "--cache-dir", hub(), "--examples", ex),
                verify.get("loss_base_main").asDouble());
        assertLoss(
                CliRun.of(
                        "score", "--model", MODEL, "--revision", "dev", "--cache-dir", hub(),
                        "--examples", ex),
                verify.get("loss_base_dev").asDouble());
        assertLoss(
                CliRun.of(
                        "score", "--model", MODEL, "--adapter", ADAPTER + "@main", "--cache-dir",
                        hub(), "--examples", ex),
                tiny.get("adapter_0").asDouble());
    }

    private static void assertLoss(CliRun run, double expected) throws IOException {
        assertThat(run.exitCode()).as(run.toString()).isZero();
        double loss = JSON.readTree(run.out()).get("loss").asDouble();
        assertThat(Math.abs(loss - expected) / expected).as(run.toString()).isLessThan(1e-5);
    }

    @Test
    void inspect_reads_an_adapter_id_from_its_snapshot() throws IOException {
        CliRun run = CliRun.of("inspect", ADAPTER, "--cache-dir", hub(), "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode report = JSON.readTree(run.out());
        assertThat(report.get("file").asText())
                .endsWith(
                        "models--lorahub-test--tiny-llama-adapter-0/snapshots/"
                                + "34f7bcfe3f98391f82c77fe8116dbd717fe8e22f/adapter_model.safetensors");
        // the blob's name is the LFS SHA-256 of its content (README)
        assertThat(report.get("sha256").asText())
                .isEqualTo("5289cec908414b1590bbd857d54d9a7de2d2437f739942cca09ed45e6fba1fd6");
        assertThat(report.get("base_model_name_or_path").asText()).isEqualTo(MODEL);
    }

    @Test
    void learn_takes_module_ids_and_finds_the_base_model_by_the_adapters_hub_id()
            throws IOException {
        Path out = tmp.resolve("out");
        CliRun run =
                CliRun.of(
                        "learn",
                        "--modules",
                        ADAPTER,
                        "--cache-dir",
                        hub(),
                        "--examples",
                        examples().toString(),
                        "--budget",
                        "2",
                        "--out",
                        out.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode weights = JSON.readTree(out.resolve("weights.json").toFile());
        // named after its repo, not its snapshot commit
        assertThat(weights.fieldNames()).toIterable().containsExactly(ADAPTER);
    }

    @Test
    void an_id_that_is_not_cached_is_one_line_with_the_download_command() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty-cache"));
        CliRun run =
                CliRun.of(
                        "score", "--model", "org/absent", "--revision", "v1", "--cache-dir",
                        empty.toString(), "--examples", examples().toString());
        assertThat(run.exitCode()).as(run.toString()).isNotZero();
        assertThat(run.err().strip())
                .doesNotContain("\n")
                .contains("'org/absent' at revision 'v1'")
                .contains(empty.resolve("models--org--absent") + " (absent)")
                .contains("nothing is downloaded")
                .contains("huggingface-cli download org/absent --revision v1");
    }
}
