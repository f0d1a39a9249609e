package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.LoraHub;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.AdapterFormatException;
import dev.lorahub.io.ModuleSelector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The head size that orders the q/k rows of a llama.cpp adapter, taken from the base model. Truth:
 * the gguf-quants fixture (a GQA model: 4 query heads, 2 KV heads, head size 64, written by ggml;
 * its ggml-written adapter and PEFT twin) and llama.cpp's converter, {@code LlamaModel.permute(w,
 * n_head, n_kv_head)} of {@code convert_hf_to_gguf.py}: {@code w.reshape(n, 2, rows / n / 2,
 * ...).swapaxes(1, 2).reshape(w.shape)} with {@code n = n_kv_head} for k_proj, {@code n_head} for
 * q_proj; {@code convert_lora_to_gguf.py} applies it to {@code lora_B}.
 */
class LlamaCppHeadSizeTest {
    @TempDir Path tmp;

    private static Path ggufModel() {
        // llama.embedding_length 256, llama.attention.head_count 4, head_count_kv 2
        return GgufManifest.path("models/tiny-llama-Q4_K.gguf");
    }

    private Path configFolder(String json) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "base");
        Files.writeString(dir.resolve("config.json"), json);
        return dir;
    }

    private static void assertSameFactors(LoraModule got, LoraModule want) {
        assertThat(got.layers().keySet()).containsExactlyElementsOf(want.layers().keySet());
        for (LoraLayer w : want.layers().values()) {
            LoraLayer g = got.layer(w.modulePath()).orElseThrow();
            assertThat(g.loraA()).as(w.modulePath()).containsExactly(w.loraA());
            assertThat(g.loraB()).as(w.modulePath()).containsExactly(w.loraB());
            assertThat(g.scaling()).as(w.modulePath()).isEqualTo(w.scaling());
        }
    }

    @Test
    void the_fixture_adapter_loads_as_its_peft_twin_given_the_gguf_or_hugging_face_base_model()
            throws IOException {
        LoraModule twin = LlamaCppAdaptersTest.peftTwin();
        Path adapter = LlamaCppAdaptersTest.fixtureGguf();
        assertThat(LlamaCppAdapters.headDimOf(ggufModel())).hasValue(64);
        assertSameFactors(LoraModule.load(adapter, ggufModel()), twin);
        // the HF config of the fixture model (hf/config.json): 256 / 4 = 64
        Path hf =
                configFolder(
                        "{\"hidden_size\": 256, \"num_attention_heads\": 4,"
                                + " \"num_key_value_heads\": 2}");
        assertSameFactors(LoraModule.load(adapter, hf), twin);
        assertSameFactors(LoraModule.load(adapter, 64), twin);
        // head_dim, where a config gives it, wins over hidden_size / num_attention_heads
        Path explicit =
                configFolder(
                        "{\"hidden_size\": 1000, \"num_attention_heads\": 4, \"head_dim\": 64}");
        assertSameFactors(LoraModule.load(adapter, explicit), twin);
        // the API's list form
        LoraModule viaHub =
                LoraHub.load(List.of(adapter, twinFolder()), ggufModel()).modules().get(0);
        assertSameFactors(viaHub, twin);
        // a PEFT folder ignores the base model
        assertSameFactors(LoraModule.load(twinFolder(), ggufModel()), twin);
    }

    private static Path twinFolder() {
        return GgufManifest.dir().resolve("lora/peft");
    }

    @Test
    void without_a_head_size_the_refusal_names_the_adapter_and_what_is_missing()
            throws IOException {
        Path adapter = LlamaCppAdaptersTest.fixtureGguf();
        assertThatThrownBy(() -> LoraModule.load(adapter))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessage(
                        adapter
                                + ": 'blk.0.attn_q.weight.lora_b' holds q/k rows in llama.cpp's"
                                + " order within attention heads, which needs the base model's"
                                + " head size: the file gives none (llama.rope.dimension_count"
                                + " absent) and no base model was given: give the base model"
                                + " (LoraModule.load(adapter, baseModel), --model) or its head size"
                                + " (LoraModule.load(adapter, headDim), --head-dim)");
        Path silent = configFolder("{\"model_type\": \"llama\"}");
        assertThatThrownBy(() -> LoraModule.load(adapter, silent))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(adapter + ": 'blk.0.attn_q.weight.lora_b'")
                .hasMessageContaining("nor the base model " + silent)
                .hasMessageContaining("--head-dim");
        // a base whose heads do not divide the rows (q_proj has 256)
        Path odd = configFolder("{\"hidden_size\": 240, \"num_attention_heads\": 4}");
        assertThatThrownBy(() -> LoraModule.load(adapter, odd))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessage(
                        adapter
                                + ": 'blk.0.attn_q.weight.lora_b' has 256 rows, not whole heads of"
                                + " even size 60 (from the base model "
                                + odd
                                + ")");
        assertThatThrownBy(() -> LoraModule.load(adapter, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 3");
    }

    @Test
    void a_base_model_disagreeing_with_the_head_size_the_file_records_is_refused()
            throws IOException {
        Path written = tmp.resolve("w.gguf");
        LlamaCppAdaptersTest.peftTwin().saveGguf(written, 64);
        Path other = configFolder("{\"hidden_size\": 256, \"num_attention_heads\": 8}");
        assertThatThrownBy(() -> LoraModule.load(written, other))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessage(
                        written
                                + ": llama.rope.dimension_count is 64, but the base model "
                                + other
                                + " has head size 32: the adapter is for another model");
        assertSameFactors(LoraModule.load(written, ggufModel()), LlamaCppAdaptersTest.peftTwin());
    }

    /**
     * Grouped-query attention: k_proj has n_kv_head * D = 128 rows. llama.cpp permutes them in
     * n_kv_head = 2 heads of 64, not in n_head = 4 heads of 32 (rows / n_head). The file's rows are
     * checked against the converter's reshape/swapaxes written out index by index.
     */
    @Test
    void k_proj_rows_of_a_gqa_model_are_permuted_in_kv_heads_of_the_head_size()
            throws IOException {
        int nKv = 2;
        int d = LlamaCppAdapters.headDimOf(ggufModel()).orElseThrow();
        int out = nKv * d;
        int in = 256;
        int r = 2;
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int i = 0; i < b.length; i++) {
            b[i] = i; // row o holds o * r, o * r + 1
        }
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 7) - 3;
        }
        String path = "model.layers.1.self_attn.k_proj";
        AdapterConfig config =
                AdapterConfig.builder()
                        .r(r)
                        .loraAlpha(4)
                        .targetModules(ModuleSelector.names(List.of("k_proj")))
                        .build();
        LoraModule k =
                new LoraModule(
                        "k", config, List.of(new LoraLayer(path, r, in, out, a, b, 2.0, false)));
        Path file = tmp.resolve("k.gguf");
        k.saveGguf(file, d);
        float[] stored = GgufFile.open(file).readFloats("blk.1.attn_k.weight.lora_b");
        // permute(w, n_head=4, n_head_kv=2): w.reshape(2, 2, 128 / 2 / 2, r).swapaxes(1, 2)
        int half = out / nKv / 2;
        for (int h = 0; h < nKv; h++) {
            for (int j = 0; j < half; j++) {
                for (int i = 0; i < 2; i++) {
                    int dst = (h * half + j) * 2 + i; // index in shape (nKv, half, 2)
                    int src = (h * 2 + i) * half + j; // index in shape (nKv, 2, half)
                    for (int c = 0; c < r; c++) {
                        assertThat(stored[dst * r + c])
                                .as("row %d col %d", dst, c)
                                .isEqualTo(b[src * r + c]);
                    }
                }
            }
        }
        // rows / n_head = 32 would be another order
        assertThat(stored[1 * r]).isEqualTo(b[32 * r]);
        // and the GGUF base model gives the order back
        Path noKey = tmp.resolve("k-nokey.gguf");
        GgufFile g = GgufFile.open(file);
        GgufWriter w = new GgufWriter();
        for (String key : g.metadata().keySet()) {
            if (!key.equals(LlamaCppAdapters.HEAD_DIM_KEY)) {
                GgufFixturesTest.copyKv(g, key, w);
            }
        }
        for (GgufTensor t : g.tensors().values()) {
            w.tensor(t.name(), t.type(), t.ne(), GgufManifest.bytes(g.rawBytes(t.name())));
        }
        w.write(noKey);
        assertSameFactors(LoraModule.load(noKey, ggufModel()), k);
    }
}
