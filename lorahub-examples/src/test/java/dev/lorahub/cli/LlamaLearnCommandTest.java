package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lorahub learn} then {@code lorahub score} end to end on the hf-tiny/llama fixture through
 * the DJL backend.
 */
class LlamaLearnCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @Test
    void learn_is_deterministic_and_score_reproduces_the_best_trace_loss() throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        Path examples = dir.resolve("examples.jsonl");
        Files.writeString(
                examples,
                "{\"input_ids\":[1,45,77,3,190,23,5,88]}\n{\"input_ids\":[1,12,200,31,9,140]}\n");
        Path first = learn(llama, examples, dir.resolve("out1"));
        Path second = learn(llama, examples, dir.resolve("out2"));
        assertThat(Files.readString(second.resolve("weights.json")))
                .isEqualTo(Files.readString(first.resolve("weights.json")));
        assertThat(Files.readAllBytes(second.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(first.resolve("adapter_model.safetensors")));

        CliRun score =
                CliRun.of(
                        "score",
                        "--model",
                        llama.resolve("model").toString(),
                        "--adapter",
                        first.toString(),
                        "--examples",
                        examples.toString());
        assertThat(score.exitCode()).as("%s", score).isZero();
        JsonNode out = JSON.readTree(score.out());
        // trace.csv: index,elapsed_ms,loss,score,...; the saved merge is the best-score row's
        String[] bestRow =
                Files.readAllLines(first.resolve("trace.csv")).stream()
                        .skip(1)
                        .map(l -> l.split(","))
                        .min(java.util.Comparator.comparingDouble(r -> Double.parseDouble(r[3])))
                        .orElseThrow();
        double best = Double.parseDouble(bestRow[2]);
        // reference objective: the batch loss divided by the number of examples (one batch of 2)
        double loss = out.get("loss").asDouble();
        assertThat(loss / 2).isCloseTo(best, within(1e-5 * loss));
    }

    private static Path learn(Path llama, Path examples, Path out) {
        CliRun run =
                CliRun.of(
                        "learn",
                        "--model",
                        llama.resolve("model").toString(),
                        "--modules",
                        llama.resolve("adapters").toString(),
                        "--examples",
                        examples.toString(),
                        "--budget",
                        "10",
                        "--seed",
                        "5",
                        "--batch-size",
                        "2",
                        "--out",
                        out.toString());
        assertThat(run.exitCode()).as("%s", run).isZero();
        return out;
    }
}
