package dev.lorahub.djl.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.DjlBackend;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.llama.RopeStyle;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.TextTokenizer;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real pretrained stories260K GGUF against the float64 llama2.c references. */
class Stories260KTest {
    private static JsonNode expected;
    private static LlamaBaseModel model;
    private static final LoraModule NONE =
            new LoraModule("none", new AdapterConfig("none", 1, 1, List.of()), List.of());

    @BeforeAll
    static void load() throws IOException {
        Path dir = TestData.require("stories260K");
        expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        DjlBackend backend = new DjlBackend();
        Path gguf = dir.resolve("stories260K.gguf");
        assertThat(backend.supports(gguf)).isTrue();
        model = (LlamaBaseModel) backend.load(gguf);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @Test
    void reads_the_architecture_from_metadata() {
        var c = model.model().config();
        assertThat(c.numLayers()).isEqualTo(5);
        assertThat(c.numHeads()).isEqualTo(8);
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.vocabSize()).isEqualTo(512);
        assertThat(c.intermediateSize()).isEqualTo(172);
        // q/k put back in Hugging Face order on load, run with rotate-half (same function)
        assertThat(c.ropeStyle()).isEqualTo(RopeStyle.ROTATE_HALF);
        assertThat(c.rmsNormEps()).isCloseTo(1e-5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(c.eosTokenId()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void encodes_generates_and_decodes_exactly_as_llama2c(int index) {
        JsonNode c = expected.get("cases").get(index);
        TextTokenizer tok = model.tokenizer().orElseThrow();
        int[] prompt = tok.encode(c.get("prompt_text").asText(), true);
        assertThat(prompt).containsExactly(ints(c.get("prompt_ids")));
        int[] want = ints(c.get("generated_ids"));
        int[] got = model.generate(NONE, List.of(prompt), GenerationConfig.greedy(60)).get(0);
        assertThat(got).containsExactly(want);
        // the leading space of the piece right after BOS is dropped, as llama2.c prints it
        int[] withContext = prompt.length == 1 ? concat(prompt, got) : got;
        assertThat(tok.decode(withContext)).isEqualTo(c.get("generated_text").asText());
        assertThat(tok.decode(concat(prompt, got))).isEqualTo(c.get("full_text").asText());
    }

    @Test
    void last_position_logits_are_within_tolerance() {
        JsonNode ref = expected.get("last_position_logits");
        int[] ids = ints(ref.get("prompt_ids"));
        try (NDManager call = model.model().manager().newSubManager()) {
            NDArray logits =
                    model.model().forward(call.create(ids, new Shape(1, ids.length)), null);
            float[] last = logits.get(new NDIndex("0, -1, :")).toFloatArray();
            double maxRef = 0;
            double maxDiff = 0;
            for (int i = 0; i < last.length; i++) {
                double r = ref.get("logits").get(i).asDouble();
                maxRef = Math.max(maxRef, Math.abs(r));
                maxDiff = Math.max(maxDiff, Math.abs(last[i] - r));
            }
            // README: max |diff| <= 1e-4 * max(1, max|ref|)
            assertThat(maxDiff).isLessThanOrEqualTo(1e-4 * Math.max(1, maxRef));
        }
    }

    @Test
    void continuation_cross_entropy_matches_per_token_and_on_the_mean() {
        JsonNode ce = expected.get("continuation_cross_entropy");
        int[] seq = ints(ce.get("sequence_ids"));
        assertThat(
                        model.tokenizer()
                                .orElseThrow()
                                .encode(
                                        ce.get("prompt_text").asText()
                                                + ce.get("continuation_text").asText(),
                                        true))
                .containsExactly(seq);
        try (NDManager call = model.model().manager().newSubManager()) {
            NDArray logits =
                    model.model().forward(call.create(seq, new Shape(1, seq.length)), null);
            NDArray logp = logits.logSoftmax(-1);
            JsonNode per = ce.get("per_token_ce_all_positions");
            for (int t = 1; t < seq.length; t++) {
                double got = -logp.getFloat(0, t - 1, seq[t]);
                // README: |diff| <= 5e-5 per token
                assertThat(got)
                        .as("position %d", t)
                        .isCloseTo(
                                per.get(t - 1).asDouble(),
                                org.assertj.core.data.Offset.offset(5e-5));
            }
        }
        // the same through the BaseModel contract: labels = ids, -100 on the prompt
        int start = ce.get("continuation_start").asInt();
        int[] labels = seq.clone();
        java.util.Arrays.fill(labels, 0, start, FewShotExample.IGNORE_INDEX);
        try (EncodedBatch batch = model.encode(List.of(FewShotExample.tokenized(seq, labels)))) {
            double mean = model.loss(NONE, batch);
            double ref = ce.get("continuation_mean_ce").asDouble();
            assertThat(Math.abs(mean - ref) / ref).isLessThan(1e-5);
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
