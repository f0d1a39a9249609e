package dev.lorahub.djl.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.gguf.LlamaCppAdapters;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gguf-quants models (written by ggml, q/k rows in llama.cpp's permuted order) against the
 * fixture's float64 numpy forward over ggml's own dequantized weights: last-position logits within
 * 1e-4 (absolute) for two prompts per file.
 */
class GgufQuantsForwardTest {
    static final double TOLERANCE = 1e-4;
    static final LoraModule NONE =
            new LoraModule("none", new AdapterConfig("none", 1, 1, List.of()), List.of());
    private static JsonNode reference;

    @BeforeAll
    static void readReference() throws IOException {
        reference =
                new ObjectMapper()
                        .readTree(
                                TestData.require("gguf-quants/forward_reference.json").toFile());
    }

    static Path model(String variant) {
        String relative = "gguf-quants/models/tiny-llama-" + variant + ".gguf";
        // the F32 model (7.4 MB) is kept in two parts
        return variant.equals("F32")
                ? TestData.requireJoined(relative)
                : TestData.require(relative);
    }

    /**
     * @return the largest |logit - reference| over both prompts' last positions
     */
    static double maxDiff(LlamaBaseModel model, LoraModule adapter, String variant) {
        double worst = 0;
        JsonNode cases = reference.get("variants").get(variant);
        assertThat(cases).as(variant).hasSize(2);
        for (int p = 0; p < 2; p++) {
            int[] ids = ints(reference.get("prompts").get(p).get("ids"));
            JsonNode want = cases.get(p).get("logits");
            float[] all;
            try (EncodedBatch batch =
                    model.encode(List.of(FewShotExample.tokenized(ids, ids.clone())))) {
                all = model.logits(adapter, batch);
            }
            int vocab = want.size();
            assertThat(all.length).isEqualTo(ids.length * vocab);
            for (int v = 0; v < vocab; v++) {
                double d = Math.abs(all[(ids.length - 1) * vocab + v] - want.get(v).asDouble());
                worst = Math.max(worst, d);
            }
        }
        return worst;
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F32", "Q4_K", "Q2_K", "Q6_K"})
    void last_position_logits_match_the_reference_forward(String variant) throws IOException {
        try (LlamaBaseModel model = GgufLlama.load(model(variant))) {
            assertThat(maxDiff(model, NONE, variant)).as(variant).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    /**
     * The PEFT twin of the fixture's llama.cpp adapter, written for the Hugging Face copy of the
     * model (q/k in Hugging Face order), applies to the GGUF model as it is: the reference's {@code
     * F32+lora} logits.
     */
    @Test
    void the_peft_twin_adapter_on_the_gguf_model_gives_the_f32_plus_lora_logits()
            throws IOException {
        LoraModule peft = LoraModule.load(TestData.require("gguf-quants/lora/peft"));
        try (LlamaBaseModel model = GgufLlama.load(model("F32"))) {
            assertThat(maxDiff(model, peft, "F32+lora")).isLessThanOrEqualTo(TOLERANCE);
            // the adapter moves the logits by up to ~0.98: the check is not vacuous
            assertThat(maxDiff(model, NONE, "F32+lora")).isGreaterThan(0.5);
        }
    }

    /**
     * The fixture's llama.cpp adapter (ggml-written, q rows of lora_b in llama.cpp's order), read
     * with the head size the GGUF model gives, on the GGUF model: the reference's {@code F32+lora}
     * logits.
     */
    @Test
    void the_llama_cpp_adapter_on_the_gguf_model_gives_the_f32_plus_lora_logits()
            throws IOException {
        Path file = TestData.require("gguf-quants/lora/tiny-llama-lora-F32.gguf");
        int headDim = LlamaCppAdapters.headDimOf(model("F32")).orElseThrow();
        assertThat(headDim).isEqualTo(64);
        var c = LlamaCppAdapters.read(file, headDim);
        LoraModule adapter = new LoraModule("lora", c.config(), c.layers());
        try (LlamaBaseModel model = GgufLlama.load(model("F32"))) {
            assertThat(maxDiff(model, adapter, "F32+lora")).isLessThanOrEqualTo(TOLERANCE);
        }
    }
}
