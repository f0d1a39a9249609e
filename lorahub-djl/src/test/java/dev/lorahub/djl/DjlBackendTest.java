package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import dev.lorahub.model.BaseModel;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlBackendTest {
    @TempDir Path tmp;

    private Path copyOfHfTiny(String name) throws IOException {
        Path src = TestData.require("hf-tiny/llama/model");
        Path dir = Files.createDirectory(tmp.resolve(name));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    /** A copy of hf-tiny/llama's model whose safetensors file lacks {@code tensor}. */
    private Path copyOfHfTinyWithout(String name, String tensor) throws IOException {
        Path dir = copyOfHfTiny(name);
        List<TensorData> kept = new ArrayList<>();
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            for (var t : r.tensors()) {
                if (!t.name().equals(tensor)) {
                    kept.add(r.read(t.name()));
                }
            }
        }
        Files.delete(dir.resolve("model.safetensors"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), Map.of(), kept);
        return dir;
    }

    @Test
    void refuses_unknown_model_types_naming_the_config() throws IOException {
        Path dir = copyOfHfTiny("gpt");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt_neox\"}");
        DjlBackend backend = new DjlBackend();
        assertThat(backend.supports(dir)).isFalse();
        assertThat(backend.supports(tmp.resolve("absent"))).isFalse();
        assertThatThrownBy(() -> backend.load(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("gpt_neox");
    }

    @Test
    void refuses_missing_tensors_shape_mismatches_and_truncated_weights() throws IOException {
        Path missing = copyOfHfTinyWithout("missing", "model.layers.1.mlp.down_proj.weight");
        assertThatThrownBy(() -> new DjlBackend().load(missing))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("model.layers.1.mlp.down_proj.weight");

        Path shape = copyOfHfTiny("shape");
        Files.writeString(
                shape.resolve("config.json"),
                Files.readString(shape.resolve("config.json"))
                        .replace("\"intermediate_size\": 172", "\"intermediate_size\": 170"));
        assertThatThrownBy(() -> new DjlBackend().load(shape))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.layers.0.mlp.gate_proj.weight")
                .hasMessageContaining("[172, 64]")
                .hasMessageContaining("[170, 64]");

        Path cut = copyOfHfTiny("cut");
        byte[] all = Files.readAllBytes(cut.resolve("model.safetensors"));
        Files.write(cut.resolve("model.safetensors"), Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> new DjlBackend().load(cut))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors");
    }

    /**
     * {@code x} on the grid {@code k / 1024}, {@code |k| <= 255}: at most 8 significant bits and
     * no smaller than 2^-10, so exactly representable in F16 and BF16.
     */
    private static float[] onHalfGrid(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            long k = Math.max(-255, Math.min(255, Math.round(x[i] * 1024.0)));
            out[i] = k / 1024f;
        }
        return out;
    }

    @Test
    void sharded_f16_and_bf16_checkpoints_load_to_the_same_model_as_their_f32_values()
            throws IOException {
        // GIVEN hf-tiny's weights moved onto a grid exact in F16 and BF16 (values chosen by the
        // test, so the F32 reference does not come from the decoder under test), stored once as
        // F32 in one file and once as alternately F16/BF16 tensors in two indexed shards
        Path src = TestData.require("hf-tiny/llama/model");
        Path half = Files.createDirectory(tmp.resolve("half"));
        Path f32 = Files.createDirectory(tmp.resolve("f32"));
        Files.copy(src.resolve("config.json"), half.resolve("config.json"));
        Files.copy(src.resolve("config.json"), f32.resolve("config.json"));
        List<TensorData> shard1 = new ArrayList<>();
        List<TensorData> shard2 = new ArrayList<>();
        List<TensorData> exact = new ArrayList<>();
        StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        try (SafetensorsReader r = SafetensorsReader.open(src.resolve("model.safetensors"))) {
            int i = 0;
            for (var t : r.tensors()) {
                float[] v = onHalfGrid(r.readFloat32(t.name()));
                boolean first = i++ % 2 == 0;
                var dtype = first ? dev.lorahub.io.DType.F16 : dev.lorahub.io.DType.BF16;
                (first ? shard1 : shard2).add(TensorData.ofFloats(t.name(), t.shape(), v, dtype));
                exact.add(TensorData.ofFloats(t.name(), t.shape(), v, dev.lorahub.io.DType.F32));
                index.append(i > 1 ? "," : "")
                        .append('"')
                        .append(t.name())
                        .append("\":\"")
                        .append(first ? "a.safetensors" : "b.safetensors")
                        .append('"');
            }
        }
        SafetensorsWriter.write(half.resolve("a.safetensors"), Map.of(), shard1);
        SafetensorsWriter.write(half.resolve("b.safetensors"), Map.of(), shard2);
        Files.writeString(half.resolve("model.safetensors.index.json"), index.append("}}"));
        SafetensorsWriter.write(f32.resolve("model.safetensors"), Map.of(), exact);
        LoraModule none =
                new LoraModule("none", new AdapterConfig("x", 1, 1, List.of()), List.of());
        int[] ids = {1, 45, 77, 3, 190, 23, 5, 88};
        // WHEN both are loaded THEN their logits are bit-identical
        try (BaseModel a = new DjlBackend().load(half);
                BaseModel b = new DjlBackend().load(f32);
                EncodedBatch ba = a.encode(List.of(FewShotExample.tokenized(ids, ids)));
                EncodedBatch bb = b.encode(List.of(FewShotExample.tokenized(ids, ids)))) {
            float[] la = ((LlamaBaseModel) a).logits(none, ba);
            assertThat(la).containsExactly(((LlamaBaseModel) b).logits(none, bb));
        }
    }

    @Test
    void a_load_that_fails_at_the_last_tensor_leaves_no_native_array_behind() throws IOException {
        Path dir = copyOfHfTinyWithout("nohead", "lm_head.weight");
        try (NDManager probe = NDManager.newBaseManager()) {
            // every base manager hangs off the engine's system manager
            ai.djl.ndarray.BaseNDManager system =
                    (ai.djl.ndarray.BaseNDManager) probe.getParentManager();
            int before = system.getManagedArrays().size();
            // lm_head.weight is read last: 20 arrays exist when the load fails
            assertThatThrownBy(() -> new DjlBackend().load(dir))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("lm_head.weight");
            assertThat(system.getManagedArrays()).hasSize(before);
        }
    }

    @Test
    void qwen2_biases_and_tied_embeddings_survive_save_and_load() throws IOException {
        LlamaConfig qwen =
                LlamaConfig.builder("qwen2")
                        .sizes(50, 16, 32, 2, 4, 2)
                        .ropeTheta(1e6)
                        .tieWordEmbeddings(true)
                        .attentionBias(true)
                        .tokenIds(-1, 3, 0)
                        .maxPositionEmbeddings(512)
                        .build();
        Path dir = tmp.resolve("qwen");
        float[] expected;
        int[] ids = {4, 8, 15, 16, 23, 42};
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(qwen, 3, root)) {
            assertThat(model.weights())
                    .containsKey("model.layers.0.self_attn.q_proj.bias")
                    .doesNotContainKey("model.layers.0.self_attn.o_proj.bias")
                    .doesNotContainKey("lm_head.weight");
            Random rnd = new Random(1);
            for (var e : model.weights().entrySet()) {
                if (e.getKey().endsWith(".bias")) {
                    float[] v = new float[(int) e.getValue().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) rnd.nextGaussian();
                    }
                    e.getValue().set(v);
                }
            }
            model.save(dir);
            try (NDManager call = root.newSubManager()) {
                NDArray x = call.create(ids, new Shape(1, ids.length));
                expected = model.forward(x, null).toFloatArray();
            }
        }
        try (BaseModel loaded = new DjlBackend().load(dir)) {
            assertThat(loaded.modelType()).isEqualTo("qwen2");
            assertThat(loaded.linearModules()).doesNotContainKey("lm_head");
            float[] got;
            try (EncodedBatch b = loaded.encode(List.of(FewShotExample.tokenized(ids, ids)))) {
                got =
                        ((LlamaBaseModel) loaded)
                                .logits(
                                        new LoraModule(
                                                "none",
                                                new AdapterConfig("x", 1, 1, List.of()),
                                                List.of()),
                                        b);
            }
            assertThat(got).containsExactly(expected);
        }
    }

    @Test
    void text_examples_are_prompt_plus_target_plus_eos_with_the_prompt_unlabelled()
            throws IOException {
        LlamaConfig c =
                LlamaConfig.builder("llama")
                        .sizes(5, 16, 24, 1, 2, 2)
                        .tokenIds(0, 4, -1)
                        .maxPositionEmbeddings(64)
                        .build();
        Path dir = tmp.resolve("worded");
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(c, 5, root)) {
            model.save(dir);
        }
        Files.writeString(
                dir.resolve("tokenizer.json"),
                dev.lorahub.djl.tokenizers.HfTextTokenizerTest.WORD_LEVEL);
        LoraModule none =
                new LoraModule("none", new AdapterConfig("x", 1, 1, List.of()), List.of());
        try (BaseModel m = new DjlBackend().load(dir)) {
            assertThat(m.tokenizer()).isPresent();
            double text;
            try (EncodedBatch b = m.encode(List.of(FewShotExample.of("hello", "world")))) {
                // labelled: "world" and EOS
                assertThat(b.labelledTokens()).isEqualTo(2);
                text = m.loss(none, b);
            }
            try (EncodedBatch b =
                    m.encode(
                            List.of(
                                    FewShotExample.tokenized(
                                            new int[] {0, 2, 3, 4},
                                            new int[] {-100, -100, 3, 4})))) {
                assertThat(m.loss(none, b)).isEqualTo(text);
            }
        }
    }
}
