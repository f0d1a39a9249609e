package dev.lorahub.djl.t5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.io.DType;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading T5 folders: typed errors, other stored dtypes, tokenizer.json and text examples. */
class T5ModelLoadTest {
    private static final String TOKENIZER_JSON =
            "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                    + "{\"id\":0,\"content\":\"<pad>\",\"single_word\":false,\"lstrip\":false,"
                    + "\"rstrip\":false,\"normalized\":false,\"special\":true},"
                    + "{\"id\":1,\"content\":\"</s>\",\"single_word\":false,\"lstrip\":false,"
                    + "\"rstrip\":false,\"normalized\":false,\"special\":true}],"
                    + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                    + "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"WordLevel\","
                    + "\"vocab\":{\"<pad>\":0,\"</s>\":1,\"<unk>\":2,\"hello\":3,\"world\":4},"
                    + "\"unk_token\":\"<unk>\"}}";

    /** Copies the fixture model with its tensors rewritten by {@code edit}. */
    private static Path rewritten(Path target, Path model, DType dtype, String drop)
            throws IOException {
        Files.createDirectories(target);
        Files.copy(model.resolve("config.json"), target.resolve("config.json"));
        List<TensorData> tensors = new ArrayList<>();
        try (SafetensorsReader r = SafetensorsReader.open(model.resolve("model.safetensors"))) {
            for (var info : r.tensors()) {
                if (!info.name().equals(drop)) {
                    tensors.add(
                            TensorData.ofFloats(
                                    info.name(), info.shape(), r.readFloat32(info.name()), dtype));
                }
            }
        }
        SafetensorsWriter.write(
                target.resolve("model.safetensors"), Map.of("format", "pt"), tensors);
        return target;
    }

    @Test
    void a_missing_tensor_is_a_model_format_error_naming_file_and_tensor(@TempDir Path tmp)
            throws IOException {
        T5Fixture f = T5Fixture.require();
        String gone = "decoder.block.1.layer.2.DenseReluDense.wo.weight";
        Path dir = rewritten(tmp.resolve("m"), f.model(), DType.F32, gone);
        assertThatThrownBy(() -> T5Model.load(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining(gone);
    }

    @Test
    void a_shape_that_contradicts_the_config_is_a_model_format_error(@TempDir Path tmp)
            throws IOException {
        T5Fixture f = T5Fixture.require();
        Path dir = rewritten(tmp.resolve("m"), f.model(), DType.F32, "");
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(
                dir.resolve("config.json"), config.replace("\"d_ff\": 128", "\"d_ff\": 96"));
        assertThatThrownBy(() -> T5Model.load(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("DenseReluDense.wi_0.weight")
                .hasMessageContaining("[96, 64]");
    }

    @Test
    void bf16_weights_load_as_float32_and_give_the_fp32_loss_closely(@TempDir Path tmp)
            throws IOException {
        T5Fixture f = T5Fixture.require();
        Path dir = rewritten(tmp.resolve("m"), f.model(), DType.BF16, "");
        List<FewShotExample> examples = new ArrayList<>();
        for (int i = 0; i < f.labels().size(); i++) {
            examples.add(FewShotExample.tokenized(f.encoderInputs().get(i), f.labels().get(i)));
        }
        try (T5Model model = T5Model.load(dir)) {
            LoraModule base = f.adapter("base");
            double loss = model.loss(base, model.encode(examples));
            // bf16 keeps 8 bits of mantissa: weights move by up to 0.4 %; the loss by far less than
            // 5 %
            assertThat(loss)
                    .isCloseTo(f.referenceLoss("base"), within(0.05 * f.referenceLoss("base")));
            float[] shared = model.weights().get("shared.weight").toFloatArray();
            for (float v : shared) {
                assertThat(Float.floatToIntBits(v) & 0xFFFF).isZero();
            }
        }
    }

    @Test
    void a_sharded_f16_checkpoint_loads_and_gives_the_reference_loss_closely(@TempDir Path tmp)
            throws IOException {
        T5Fixture f = T5Fixture.require();
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(f.model().resolve("config.json"), dir.resolve("config.json"));
        List<TensorData> encoder = new ArrayList<>();
        List<TensorData> rest = new ArrayList<>();
        StringBuilder map = new StringBuilder();
        try (SafetensorsReader r = SafetensorsReader.open(f.model().resolve("model.safetensors"))) {
            for (var info : r.tensors()) {
                boolean first = info.name().startsWith("encoder.");
                String shard =
                        first
                                ? "model-00001-of-00002.safetensors"
                                : "model-00002-of-00002.safetensors";
                (first ? encoder : rest)
                        .add(
                                TensorData.ofFloats(
                                        info.name(),
                                        info.shape(),
                                        r.readFloat32(info.name()),
                                        DType.F16));
                map.append(map.length() == 0 ? "" : ",")
                        .append('"')
                        .append(info.name())
                        .append("\":\"")
                        .append(shard)
                        .append('"');
            }
        }
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), Map.of(), encoder);
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), Map.of(), rest);
        Files.writeString(
                dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        List<FewShotExample> examples = new ArrayList<>();
        for (int i = 0; i < f.labels().size(); i++) {
            examples.add(FewShotExample.tokenized(f.encoderInputs().get(i), f.labels().get(i)));
        }
        try (T5Model model = T5Model.load(dir)) {
            double loss = model.loss(f.adapter("adapter_0"), model.encode(examples));
            // f16 keeps 11 bits of mantissa: weights move by up to 0.05 %
            double ref = f.referenceLoss("adapter_0");
            assertThat(loss).isCloseTo(ref, within(0.01 * ref));
        }
    }

    @Test
    void text_examples_are_tokenized_with_eos_on_inputs_and_labels(@TempDir Path tmp)
            throws IOException {
        T5Fixture f = T5Fixture.require();
        Path dir = rewritten(tmp.resolve("m"), f.model(), DType.F32, "");
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_JSON);
        try (T5Model model = T5Model.load(dir)) {
            var tok = model.tokenizer().orElseThrow();
            assertThat(tok.encode("hello world", true)).containsExactly(3, 4, 1);
            assertThat(tok.encode("hello world", false)).containsExactly(3, 4);
            assertThat(tok.decode(new int[] {3, 4, 1, 0})).isEqualTo("hello world");
            LoraModule base = f.adapter("base");
            T5Batch text = model.encode(List.of(FewShotExample.of("hello world", "world")));
            T5Batch ids =
                    model.encode(
                            List.of(
                                    FewShotExample.tokenized(
                                            new int[] {3, 4, 1}, new int[] {4, 1})));
            assertThat(text.labelledTokens()).isEqualTo(2);
            assertThat(model.loss(base, text)).isEqualTo(model.loss(base, ids));
        }
    }

    @Test
    void text_examples_without_a_tokenizer_are_refused() throws IOException {
        T5Fixture f = T5Fixture.require();
        try (T5Model model = T5Model.load(f.model())) {
            assertThat(model.tokenizer()).isEmpty();
            assertThatThrownBy(() -> model.encode(List.of(FewShotExample.of("a", "b"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tokenizer");
        }
    }

    @Test
    void an_adapter_for_a_module_the_model_lacks_is_refused_and_changes_nothing()
            throws IOException {
        T5Fixture f = T5Fixture.require();
        try (T5Model model = T5Model.load(f.model())) {
            LoraModule a0 = f.adapter("adapter_0");
            var layer = a0.layers().values().iterator().next();
            var alien =
                    new dev.lorahub.LoraLayer(
                            "decoder.block.7.layer.0.SelfAttention.q",
                            layer.rank(),
                            layer.inFeatures(),
                            layer.outFeatures(),
                            layer.loraA(),
                            layer.loraB(),
                            layer.scaling(),
                            false);
            List<dev.lorahub.LoraLayer> layers = new ArrayList<>(a0.layers().values());
            layers.add(alien);
            LoraModule bad = new LoraModule("bad", a0.config(), layers);
            T5Batch batch =
                    model.encode(
                            List.of(FewShotExample.tokenized(new int[] {5, 1}, new int[] {1})));
            double before = model.loss(f.adapter("base"), batch);
            assertThatThrownBy(() -> model.loss(bad, batch))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("decoder.block.7.layer.0.SelfAttention.q");
            assertThat(model.loss(f.adapter("base"), batch)).isEqualTo(before);
        }
    }
}
