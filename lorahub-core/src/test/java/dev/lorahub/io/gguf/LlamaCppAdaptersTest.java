package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.AdapterFormatException;
import dev.lorahub.io.PeftAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp LoRA adapters against the gguf-quants fixture: {@code lora/tiny-llama-lora-F32.gguf}
 * (written by ggml's gguf writer in llama.cpp's layout, lora_b of attn_q row-permuted) and its PEFT
 * twin {@code lora/peft} (equal logits to 1.5e-15 in the fixture's own check). Head size 64.
 */
class LlamaCppAdaptersTest {
    static final int HEAD_DIM = 64;

    @TempDir Path tmp;

    static Path fixtureGguf() {
        return GgufManifest.path("lora/tiny-llama-lora-F32.gguf");
    }

    static LoraModule peftTwin() throws IOException {
        return LoraModule.load(GgufManifest.dir().resolve("lora/peft"));
    }

    @Test
    void the_fixture_adapter_and_its_peft_twin_load_to_the_same_factors_and_deltas()
            throws IOException {
        PeftAdapters.Contents gguf = LlamaCppAdapters.read(fixtureGguf(), HEAD_DIM);
        LoraModule peft = peftTwin();
        assertThat(gguf.layers()).extracting(LoraLayer::modulePath)
                .containsExactlyElementsOf(peft.layers().keySet());
        for (LoraLayer g : gguf.layers()) {
            LoraLayer p = peft.layer(g.modulePath()).orElseThrow();
            assertThat(g.rank()).isEqualTo(8);
            assertThat(g.scaling()).isEqualTo(p.scaling()).isEqualTo(2.0);
            assertThat(g.loraA()).as(g.modulePath()).containsExactly(p.loraA());
            assertThat(g.loraB()).as(g.modulePath()).containsExactly(p.loraB());
            assertThat(g.deltaWeight()).as(g.modulePath()).containsExactly(p.deltaWeight());
        }
        assertThat(gguf.config().r()).isEqualTo(8);
        assertThat(gguf.config().loraAlpha()).isEqualTo(16.0);
        assertThat(gguf.config().targetModules()).containsExactlyInAnyOrder("q_proj", "v_proj");
    }

    /** The q_proj lora_b rows really are permuted in the fixture: reading without it is wrong. */
    @Test
    void the_q_rows_of_the_fixture_are_in_llama_cpp_order_and_other_head_sizes_misread_them()
            throws IOException {
        LoraModule peft = peftTwin();
        PeftAdapters.Contents wrong = LlamaCppAdapters.read(fixtureGguf(), 32);
        LoraLayer q = wrong.layers().get(0);
        assertThat(q.modulePath()).endsWith("q_proj");
        assertThat(q.loraB()).isNotEqualTo(peft.layer(q.modulePath()).orElseThrow().loraB());
    }

    @Test
    void writing_the_peft_twin_gives_the_ggml_written_fixtures_tensor_bytes_and_metadata_types()
            throws IOException {
        LoraModule peft = peftTwin();
        Path out = tmp.resolve("twin.gguf");
        peft.saveGguf(out, HEAD_DIM);
        GgufFile mine = GgufFile.open(out);
        GgufFile theirs = GgufFile.open(fixtureGguf());
        assertThat(mine.tensors().keySet()).containsExactlyElementsOf(theirs.tensors().keySet());
        for (GgufTensor t : theirs.tensors().values()) {
            GgufTensor m = mine.tensor(t.name()).orElseThrow();
            assertThat(m.type()).isEqualTo(GgmlType.F32);
            assertThat(m.ne()).as(t.name()).containsExactly(t.ne());
            assertThat(GgufManifest.bytes(mine.rawBytes(t.name())))
                    .as(t.name())
                    .isEqualTo(GgufManifest.bytes(theirs.rawBytes(t.name())));
        }
        for (String key : List.of("general.architecture", "general.type", "adapter.type")) {
            assertThat(mine.metadata().get(key)).as(key).isEqualTo(theirs.metadata().get(key));
            assertThat(mine.valueType(key)).hasValue(GgufValueType.STRING);
        }
        assertThat(mine.valueType("adapter.lora.alpha")).hasValue(GgufValueType.FLOAT32);
        assertThat(mine.metadata().get("adapter.lora.alpha"))
                .isEqualTo(theirs.metadata().get("adapter.lora.alpha"));
    }

    /**
     * The PEFT folder lorahub writes for the twin, directly and after a trip through GGUF: the same
     * bytes (the fixture's own adapter_config.json is hand-ordered, so the comparison is between
     * two saves; its config and factors are compared as values).
     */
    @Test
    void peft_to_gguf_to_peft_round_trips_bit_exactly() throws IOException {
        LoraModule twin = peftTwin();
        Path gguf = tmp.resolve("a.gguf");
        twin.saveGguf(gguf, HEAD_DIM);
        // the file gives its head size: LoraModule.load needs nothing else
        LoraModule back = LoraModule.load(gguf);
        assertThat(back.name()).isEqualTo("a");
        assertThat(back.config()).isEqualTo(twin.config());
        for (LoraLayer l : twin.layers().values()) {
            LoraLayer b = back.layer(l.modulePath()).orElseThrow();
            assertThat(b.loraA()).containsExactly(l.loraA());
            assertThat(b.loraB()).containsExactly(l.loraB());
            assertThat(b.scaling()).isEqualTo(l.scaling());
        }
        Path direct = tmp.resolve("direct");
        twin.save(direct);
        Path via = tmp.resolve("via");
        back.save(via);
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
            assertThat(Files.mismatch(direct.resolve(f), via.resolve(f))).as(f).isEqualTo(-1L);
        }
    }

    /**
     * rsLoRA and alpha_pattern give layers scalings no single llama.cpp alpha expresses: the
     * difference is folded into lora_b, and the deltas come back within float32 rounding.
     */
    @Test
    void scalings_one_alpha_cannot_express_are_folded_into_lora_b() throws IOException {
        Random rnd = new Random(7);
        AdapterConfig config =
                AdapterConfig.builder()
                        .r(4)
                        .loraAlpha(8)
                        .useRslora(true)
                        .targetModules(dev.lorahub.io.ModuleSelector.names(List.of("q_proj", "o_proj")))
                        .rankPattern(Map.of("o_proj", 2))
                        .build();
        List<LoraLayer> layers = new ArrayList<>();
        for (String m : List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.o_proj")) {
            int r = config.rankFor(m);
            layers.add(new LoraLayer(m, r, 16, 16, gaussian(rnd, r * 16), gaussian(rnd, 16 * r),
                    config.scalingFor(m), false));
        }
        LoraModule module = new LoraModule("rs", config, layers);
        Path gguf = tmp.resolve("rs.gguf");
        module.saveGguf(gguf, 8);
        LoraModule back = LoraModule.load(gguf);
        // q_proj: scaling 8 / sqrt(4) = 4 = alpha 16 / r 4, unchanged, bit for bit
        LoraLayer q = layers.get(0);
        assertThat(back.layer(q.modulePath()).orElseThrow().deltaWeight())
                .containsExactly(q.deltaWeight());
        // o_proj: scaling 8 / sqrt(2), llama.cpp's 16 / 2 = 8: lora_b scaled by 0.707 (float32)
        LoraLayer o = layers.get(1);
        float[] want = o.deltaWeight();
        float[] got = back.layer(o.modulePath()).orElseThrow().deltaWeight();
        for (int i = 0; i < want.length; i++) {
            // |delta| <= ~30 here; float32 rounding of the scaled B and the products: < 2e-5
            assertThat((double) got[i])
                    .as("o_proj[%d]", i)
                    .isCloseTo(want[i], org.assertj.core.data.Offset.offset(2e-5));
        }
        assertThat(got).isNotEqualTo(new float[want.length]);
        assertThat(GgufFile.open(gguf).metadata()).doesNotContainKey(LlamaCppAdapters.CONFIG_KEY);
    }

    @Test
    void writes_atomically_and_refuses_what_llama_cpp_cannot_hold() throws IOException {
        LoraModule peft = peftTwin();
        Path out = tmp.resolve("x.gguf");
        Files.writeString(out, "previous");
        assertThatThrownBy(() -> peft.saveGguf(out, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("q_proj")
                .hasMessageContaining("head size");
        assertThat(Files.readString(out)).isEqualTo("previous");
        peft.saveGguf(out, HEAD_DIM);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("x.gguf");
        }
        LoraModule dora =
                new LoraModule(
                        "d",
                        peft.config().toBuilder().useDora(true).build(),
                        List.copyOf(peft.layers().values()));
        assertThatThrownBy(() -> dora.saveGguf(tmp.resolve("d.gguf"), HEAD_DIM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use_dora true");
    }

    @Test
    void refuses_files_llama_cpp_refuses_naming_the_file_key_and_values() throws IOException {
        GgufFile fixture = GgufFile.open(fixtureGguf());
        Path f64 = rewrite(fixture, "adapter.lora.alpha", GgufValueType.FLOAT64, 16.0);
        assertThatThrownBy(() -> LlamaCppAdapters.read(f64, HEAD_DIM))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessage(f64 + ": adapter.lora.alpha is of type FLOAT64, llama.cpp requires"
                        + " FLOAT32 (it aborts otherwise)");
        Path model = rewrite(fixture, "general.type", GgufValueType.STRING, "model");
        assertThatThrownBy(() -> LlamaCppAdapters.read(model, HEAD_DIM))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessage(model + ": general.type is 'model', a llama.cpp LoRA adapter has"
                        + " 'adapter'");
        assertThatThrownBy(() -> LoraModule.load(fixtureGguf()))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("'blk.0.attn_q.weight.lora_b' holds q/k rows in llama.cpp's order")
                .hasMessageContaining(LlamaCppAdapters.HEAD_DIM_KEY);
        // a lone half
        GgufWriter w = new GgufWriter();
        for (String key : fixture.metadata().keySet()) {
            GgufFixturesTest.copyKv(fixture, key, w);
        }
        GgufTensor a = fixture.tensor("blk.0.attn_v.weight.lora_a").orElseThrow();
        w.tensor(a.name(), a.type(), a.ne(), GgufManifest.bytes(fixture.rawBytes(a.name())));
        Path lone = tmp.resolve("lone.gguf");
        w.write(lone);
        assertThatThrownBy(() -> LlamaCppAdapters.read(lone, HEAD_DIM))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessage(lone + ": 'blk.0.attn_v.weight.lora_b' is missing for"
                        + " 'blk.0.attn_v.weight.lora_a'");
    }

    private Path rewrite(GgufFile from, String key, GgufValueType type, Object value)
            throws IOException {
        GgufWriter w = new GgufWriter();
        for (String k : from.metadata().keySet()) {
            if (k.equals(key)) {
                w.put(k, type, value);
            } else {
                GgufFixturesTest.copyKv(from, k, w);
            }
        }
        for (GgufTensor t : from.tensors().values()) {
            w.tensor(t.name(), t.type(), t.ne(), GgufManifest.bytes(from.rawBytes(t.name())));
        }
        Path out = tmp.resolve(key + ".gguf");
        w.write(out);
        return out;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
