package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Base models and adapters saved as PyTorch pickles (pickles fixtures: {@code pytorch_model.bin},
 * sharded with {@code pytorch_model.bin.index.json}, {@code adapter_model.bin}) give the losses of
 * their safetensors originals: the same float32 weights, so the same loss to the last bit, and the
 * losses transformers/PEFT recorded in pickles/results.json within 1e-5 relative.
 */
class PickledCheckpointTest {
    private static final double RTOL = 1e-5;

    @ParameterizedTest(name = "{0} + {1}")
    @CsvSource({
        "pickles/llama/model, -, hf-tiny/llama/model, -, 5.521156311035156",
        "pickles/llama_sharded/model, -, hf-tiny/llama/model, -, 5.521156311035156",
        "pickles/llama/model, pickles/llama/adapter_0, hf-tiny/llama/model, hf-tiny/llama/adapters/adapter_0, 5.537804126739502",
        "pickles/llama/model, pickles/variants/llama_adapter_0_zip_bf16, hf-tiny/llama/model, -, 5.537930011749268",
        "pickles/llama/model, pickles/variants/llama_adapter_0_legacy_fp16, hf-tiny/llama/model, -, 5.537795543670654",
        "pickles/llama/model, pickles/variants/llama_adapter_0_legacy_shared_storage, hf-tiny/llama/model, hf-tiny/llama/adapters/adapter_0, 5.537804126739502",
    })
    void pickled_llama_checkpoints_give_the_safetensors_and_recorded_losses(
            String model, String adapter, String originalModel, String originalAdapter, double recorded)
            throws IOException {
        List<FewShotExample> examples = examples(new HfTinyReference("hf-tiny/llama"), true);
        double pickled = loss(model, adapter, examples);
        assertThat(Math.abs(pickled - recorded) / recorded).as("vs results.json").isLessThan(RTOL);
        if (!originalAdapter.equals("-") || adapter.equals("-")) {
            double original = loss(originalModel, originalAdapter, examples);
            assertThat(pickled).as("vs the safetensors original").isEqualTo(original);
        }
    }

    @Test
    void a_pickled_t5_with_tied_embeddings_gives_the_safetensors_losses() throws IOException {
        HfTinyReference ref = new HfTinyReference("hf-tiny/t5");
        JsonNode results =
                new ObjectMapper().readTree(TestData.require("pickles/results.json").toFile());
        List<FewShotExample> examples = examples(ref, false);
        double base = loss("pickles/t5/model", "-", examples);
        double adapted = loss("pickles/t5/model", "pickles/t5/adapter_0", examples);
        assertThat(base).isEqualTo(loss("hf-tiny/t5/model", "-", examples));
        assertThat(adapted).isEqualTo(loss("hf-tiny/t5/model", "hf-tiny/t5/adapters/adapter_0", examples));
        double recordedBase = results.get("t5").get("loss_base_pickle").asDouble();
        double recordedAdapter = results.get("t5").get("loss_adapter_0_pickle").asDouble();
        assertThat(Math.abs(base - recordedBase) / recordedBase).isLessThan(RTOL);
        assertThat(Math.abs(adapted - recordedAdapter) / recordedAdapter).isLessThan(RTOL);
    }

    /** The reference batch without its padding (the backend pads again). */
    private static List<FewShotExample> examples(HfTinyReference ref, boolean causal) {
        int[][] ids = HfTinyReference.ints(ref.inputs.get("input_ids"));
        int[][] mask = HfTinyReference.ints(ref.inputs.get("attention_mask"));
        int[][] labels = HfTinyReference.ints(ref.inputs.get("labels"));
        List<FewShotExample> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            int n = 0;
            while (n < mask[i].length && mask[i][n] == 1) {
                n++;
            }
            int[] row = java.util.Arrays.copyOf(ids[i], n);
            int[] lab = causal ? java.util.Arrays.copyOf(labels[i], n) : labels[i];
            out.add(FewShotExample.tokenized(row, lab));
        }
        return out;
    }

    private static double loss(String model, String adapter, List<FewShotExample> examples)
            throws IOException {
        Path dir = TestData.require(model);
        LoraModule a =
                adapter.equals("-")
                        ? new LoraModule("base", new dev.lorahub.io.AdapterConfig("none", 1, 1, List.of()), List.of())
                        : LoraModule.load(TestData.require(adapter));
        try (BaseModel m = ModelBackends.load(dir);
                EncodedBatch batch = m.encode(examples)) {
            return m.loss(a, batch);
        }
    }
}
