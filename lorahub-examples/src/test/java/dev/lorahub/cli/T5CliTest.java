package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.t5.T5Model;
import dev.lorahub.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lorahub learn} end to end on the hf-tiny/t5 fixture through the DJL backend: the T5 model
 * found by {@code model_type}, the three PEFT adapters, pre-tokenized examples.
 */
class T5CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @Test
    void learn_on_the_t5_fixture_is_deterministic_and_saves_the_merge_it_scored() throws Exception {
        Path t5 = TestData.require("hf-tiny/t5");
        JsonNode inputs = JSON.readTree(t5.resolve("ref/inputs.json").toFile());
        StringBuilder jsonl = new StringBuilder();
        List<FewShotExample> examples = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<Integer> ids = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                if (inputs.get("attention_mask").get(r).get(c).asInt() == 1) {
                    ids.add(inputs.get("input_ids").get(r).get(c).asInt());
                }
            }
            int[] in = ids.stream().mapToInt(Integer::intValue).toArray();
            int[] labels = JSON.convertValue(inputs.get("labels").get(r), int[].class);
            examples.add(FewShotExample.tokenized(in, labels));
            ObjectNode line = JSON.createObjectNode();
            line.set("input_ids", JSON.valueToTree(in));
            line.set("labels", JSON.valueToTree(labels));
            jsonl.append(line).append('\n');
        }
        Path examplesFile = dir.resolve("examples.jsonl");
        Files.writeString(examplesFile, jsonl);

        Path first = learnLorahub(t5, examplesFile, dir.resolve("out1"));
        Path second = learnLorahub(t5, examplesFile, dir.resolve("out2"));

        assertThat(Files.readString(second.resolve("weights.json")))
                .isEqualTo(Files.readString(first.resolve("weights.json")));
        assertThat(Files.readAllBytes(second.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(first.resolve("adapter_model.safetensors")));
        assertThat(Files.readAllLines(first.resolve("trace.csv"))).hasSize(11);

        // the saved adapter is the LORAHUB merge at the reported weights, and the model's loss
        // of it is the best loss of the trace (reference objective: batch loss / examples)
        JsonNode weights = JSON.readTree(first.resolve("weights.json").toFile());
        List<LoraModule> pool = new ArrayList<>();
        double[] w = new double[3];
        for (int i = 0; i < 3; i++) {
            pool.add(LoraModule.load(t5.resolve("adapters/adapter_" + i)));
            w[i] = weights.get("adapter_" + i).asDouble();
        }
        LoraModule saved = LoraModule.load(first);
        LoraModule recomposed = Composer.of(MergeStrategy.LORAHUB).merge("r", pool, w);
        try (T5Model model = T5Model.load(t5.resolve("model"))) {
            var batch = model.encode(examples);
            double savedLoss = model.loss(saved, batch);
            assertThat(savedLoss).isCloseTo(model.loss(recomposed, batch), within(1e-5));
            double bestTraceLoss =
                    Files.readAllLines(first.resolve("trace.csv")).stream()
                            .skip(1)
                            .mapToDouble(l -> Double.parseDouble(l.split(",")[2]))
                            .min()
                            .orElseThrow();
            assertThat(savedLoss / 2).isCloseTo(bestTraceLoss, within(1e-5 * savedLoss));
        }
    }

    @Test
    void learn_takes_a_folder_of_modules_and_the_cat_strategy() throws Exception {
        Path t5 = TestData.require("hf-tiny/t5");
        Path examples = dir.resolve("t5.jsonl");
        // seq2seq: input_ids feed the encoder, labels are the decoder targets (HF semantics)
        Files.writeString(
                examples,
                "{\"input_ids\": [13, 57, 200, 4, 99, 31, 1], \"labels\": [42, 7, 66, 1]}\n"
                        + "{\"input_ids\": [77, 5, 120, 250, 1], \"labels\": [18, 240, 1]}\n");
        Path out =
                learn(
                        t5,
                        examples,
                        dir.resolve("t5-out"),
                        "--modules",
                        t5.resolve("adapters").toString(),
                        "--budget",
                        "6",
                        "--strategy",
                        "cat");
        assertThat(Files.readAllLines(out.resolve("trace.csv"))).hasSize(7);
        assertThat(LoraModule.load(out).layers()).hasSize(12);
    }

    @Test
    void score_and_generate_reproduce_transformers_for_an_adapter() throws Exception {
        Path t5 = TestData.require("hf-tiny/t5");
        JsonNode results = JSON.readTree(t5.resolve("ref/results.json").toFile());
        Path examples = dir.resolve("examples.jsonl");
        Files.writeString(
                examples,
                "{\"input_ids\":[13,57,200,4,99,31,1],\"labels\":[42,7,66,1]}\n"
                        + "{\"input_ids\":[77,5,120,250,1],\"labels\":[18,240,1]}\n");
        CliRun score =
                CliRun.of(
                        "score",
                        "--model",
                        t5.resolve("model").toString(),
                        "--adapter",
                        t5.resolve("adapters/adapter_1").toString(),
                        "--examples",
                        examples.toString());
        assertThat(score.exitCode()).as("%s", score).isZero();
        double ref = results.get("losses").get("adapter_1").asDouble();
        assertThat(JSON.readTree(score.out()).get("loss").asDouble())
                .isCloseTo(ref, within(1e-5 * ref));

        CliRun generate =
                CliRun.of(
                        "generate",
                        "--model",
                        t5.resolve("model").toString(),
                        "--adapter",
                        t5.resolve("adapters/adapter_2").toString(),
                        "--input-ids",
                        "77,5,120,250,1",
                        "--max-new-tokens",
                        "5",
                        "--json");
        assertThat(generate.exitCode()).as("%s", generate).isZero();
        // reference row 1 of adapter_2 is [decoder start 0, then 5 new ids]
        JsonNode want = results.get("generate").get("adapter_2").get(1);
        JsonNode got = JSON.readTree(generate.out()).get("ids");
        assertThat(got).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(got.get(i).asInt()).as("step %d", i).isEqualTo(want.get(i + 1).asInt());
        }
    }

    /** {@code lorahub learn} on the fixture's model with {@code options}; asserts exit 0. */
    private static Path learn(Path t5, Path examples, Path out, String... options) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "learn",
                                "--model",
                                t5.resolve("model").toString(),
                                "--examples",
                                examples.toString(),
                                "--out",
                                out.toString()));
        args.addAll(List.of(options));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s", run).isZero();
        return out;
    }

    /** The determinism test's run: the three adapters, budget 10, seed 3. */
    private static Path learnLorahub(Path t5, Path examples, Path out) {
        return learn(
                t5,
                examples,
                out,
                "--modules",
                t5.resolve("adapters/adapter_0").toString(),
                t5.resolve("adapters/adapter_1").toString(),
                t5.resolve("adapters/adapter_2").toString(),
                "--budget",
                "10",
                "--seed",
                "3");
    }
}
