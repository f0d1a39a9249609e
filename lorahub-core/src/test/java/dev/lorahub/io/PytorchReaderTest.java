package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pickles fixtures (written by transformers 4.36.2, PEFT 0.10.0 and torch 1.13.1) against the
 * safetensors files they were made from: every float32 tensor bit-identical, the F16 and BF16
 * variants equal to the float32 values rounded to nearest even, views and shared storages resolved.
 */
class PytorchReaderTest {
    static Stream<Arguments> float32Pickles() {
        String llamaAdapter = "hf-tiny/llama/adapters/adapter_0/adapter_model.safetensors";
        return Stream.of(
                Arguments.of("pickles/llama/adapter_0/adapter_model.bin", llamaAdapter, "PYTORCH_ZIP"),
                Arguments.of("pickles/llama/model/pytorch_model.bin", "hf-tiny/llama/model/model.safetensors", "PYTORCH_ZIP"),
                Arguments.of("pickles/t5/adapter_0/adapter_model.bin", "hf-tiny/t5/adapters/adapter_0/adapter_model.safetensors", "PYTORCH_ZIP"),
                Arguments.of("pickles/t5/model/pytorch_model.bin", "hf-tiny/t5/model/model.safetensors", "PYTORCH_ZIP"),
                Arguments.of("pickles/variants/llama_adapter_0_legacy_fp32/adapter_model.bin", llamaAdapter, "PYTORCH_LEGACY"),
                Arguments.of("pickles/variants/llama_adapter_0_legacy_shared_storage/adapter_model.bin", llamaAdapter, "PYTORCH_LEGACY"),
                Arguments.of("pickles/variants/llama_adapter_0_zip_shared_storage/adapter_model.bin", llamaAdapter, "PYTORCH_ZIP"),
                Arguments.of("pickles/variants/llama_adapter_0_zip_archive_prefix/adapter_model.bin", llamaAdapter, "PYTORCH_ZIP"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("float32Pickles")
    void float32_pickles_hold_the_safetensors_values_bit_for_bit(
            String pickle, String original, String format) throws IOException {
        try (PytorchReader p = PytorchReader.open(TestData.require(pickle));
                SafetensorsReader s = SafetensorsReader.open(TestData.require(original))) {
            assertThat(p.format().name()).isEqualTo(format);
            List<String> compared = new ArrayList<>();
            for (TensorEntry e : p.entries()) {
                String name = aliasOf(e.name(), s);
                TensorInfo t = s.tensor(name).orElseThrow(() -> new AssertionError("no " + name));
                assertThat(e.shape()).as(e.name()).isEqualTo(t.shape());
                assertThat(e.dtype()).as(e.name()).isEqualTo(DType.F32);
                assertThat(bits(p.readFloat32(e.name()))).as(e.name()).isEqualTo(bits(s.readFloat32(name)));
                compared.add(name);
            }
            assertThat(compared).containsAll(s.tensors().stream().map(TensorInfo::name).toList());
        }
    }

    /** T5's pickle keeps the tied aliases safetensors drops: they are shared.weight. */
    private static String aliasOf(String name, SafetensorsReader s) {
        if (s.tensor(name).isEmpty() && name.endsWith("embed_tokens.weight")) {
            return "shared.weight";
        }
        return name;
    }

    @Test
    void sharded_checkpoint_shards_hold_the_model_tensors() throws IOException {
        int total = 0;
        try (SafetensorsReader s = SafetensorsReader.open(TestData.require("hf-tiny/llama/model/model.safetensors"))) {
            for (int i = 1; i <= 3; i++) {
                try (PytorchReader p = PytorchReader.open(TestData.require(
                        "pickles/llama_sharded/model/pytorch_model-0000" + i + "-of-00003.bin"))) {
                    for (TensorEntry e : p.entries()) {
                        assertThat(bits(p.readFloat32(e.name()))).as(e.name()).isEqualTo(bits(s.readFloat32(e.name())));
                        total++;
                    }
                }
            }
        }
        assertThat(total).isEqualTo(21);
    }

    @Test
    void half_and_bfloat16_variants_are_the_float32_values_rounded() throws IOException {
        Path original = TestData.require("hf-tiny/llama/adapters/adapter_0/adapter_model.safetensors");
        String[][] cases = {
            {"legacy_fp16", "F16"}, {"zip_fp16", "F16"}, {"zip_bf16", "BF16"}
        };
        try (SafetensorsReader s = SafetensorsReader.open(original)) {
            for (String[] c : cases) {
                DType dtype = DType.valueOf(c[1]);
                try (PytorchReader p = PytorchReader.open(TestData.require(
                        "pickles/variants/llama_adapter_0_" + c[0] + "/adapter_model.bin"))) {
                    assertThat(p.entries()).hasSize(8);
                    for (TensorEntry e : p.entries()) {
                        assertThat(e.dtype()).isEqualTo(dtype);
                        float[] f32 = s.readFloat32(e.name());
                        float[] expected = new float[f32.length];
                        for (int i = 0; i < f32.length; i++) {
                            expected[i] = dtype == DType.F16
                                    ? Float16.toFloat(Float16.fromFloat(f32[i]))
                                    : BFloat16.toFloat(BFloat16.fromFloat(f32[i]));
                        }
                        assertThat(bits(p.readFloat32(e.name()))).as(c[0] + " " + e.name()).isEqualTo(bits(expected));
                    }
                }
            }
        }
    }

    @Test
    void tied_t5_embeddings_share_one_storage() throws IOException {
        try (PytorchReader p = PytorchReader.open(TestData.require("pickles/t5/model/pytorch_model.bin"))) {
            assertThat(p.entries()).hasSize(54);
            assertThat(p.sharingStorage("shared.weight"))
                    .containsExactly("shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight");
        }
    }

    @Test
    void a_transposed_view_on_a_shared_storage_is_gathered() throws IOException {
        String name = "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight";
        for (String v : List.of("legacy_shared_storage", "zip_shared_storage")) {
            try (PytorchReader p = PytorchReader.open(TestData.require(
                            "pickles/variants/llama_adapter_0_" + v + "/adapter_model.bin"));
                    SafetensorsReader s = SafetensorsReader.open(TestData.require(
                            "hf-tiny/llama/adapters/adapter_0/adapter_model.safetensors"))) {
                assertThat(p.sharingStorage(name)).as(v).hasSize(8);
                assertThat(bits(p.readFloat32(name))).as(v).isEqualTo(bits(s.readFloat32(name)));
            }
        }
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }
}
