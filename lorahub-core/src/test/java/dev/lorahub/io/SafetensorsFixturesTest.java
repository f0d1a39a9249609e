package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code .safetensors} file written by the reference (PEFT 0.10 / transformers 4.36 /
 * safetensors 0.4.2) under the test data's {@code hf-tiny} is read and written back
 * byte-identically, and its floats match an independent little-endian decode.
 */
class SafetensorsFixturesTest {
    @TempDir Path tmp;

    static Stream<String> fixtureFiles() throws IOException {
        Path tiny = TestData.require("hf-tiny");
        try (Stream<Path> files = Files.walk(tiny)) {
            return files
                    .filter(p -> p.toString().endsWith(".safetensors"))
                    .map(p -> tiny.relativize(p).toString())
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtureFiles")
    void writes_the_fixture_back_byte_identical(String relative) throws IOException {
        Path file = TestData.require("hf-tiny/" + relative);
        byte[] original = Files.readAllBytes(file);
        Path copy = tmp.resolve("copy.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.tensors()).isNotEmpty();
            SafetensorsWriter.write(copy, reader.metadata(), reader.readAll());
        }
        assertThat(Files.readAllBytes(copy)).as("%s written back", relative).isEqualTo(original);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtureFiles")
    void reads_floats_that_match_an_independent_decode(String relative) throws IOException {
        Path file = TestData.require("hf-tiny/" + relative);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long dataStart = 8 + bytes.getLong(0);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.dataStart()).isEqualTo(dataStart);
            for (TensorInfo t : reader.tensors()) {
                assertThat(t.dtype()).isEqualTo(DType.F32);
                float[] values = reader.readFloat32(t.name());
                assertThat((long) values.length).isEqualTo(t.numel());
                for (int i = 0; i < values.length; i++) {
                    float expected = bytes.getFloat((int) (dataStart + t.begin() + 4L * i));
                    if (Float.floatToRawIntBits(values[i]) != Float.floatToRawIntBits(expected)) {
                        throw new AssertionError(
                                t.name() + "[" + i + "]: " + values[i] + " != " + expected);
                    }
                }
            }
        }
    }

    @Test
    void reads_the_llama_adapter_metadata_and_peft_names() throws IOException {
        Path file =
                TestData.require(
                        "hf-tiny/llama/adapters/adapter_0/adapter_model.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.metadata()).containsExactly(java.util.Map.entry("format", "pt"));
            assertThat(reader.tensors()).hasSize(8);
            TensorInfo b =
                    reader.tensor("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")
                            .orElseThrow();
            assertThat(b.shape()).containsExactly(32, 4);
            assertThat(b.dtype()).isEqualTo(DType.F32);
            assertThat(reader.tensor("missing")).isEmpty();
        }
    }

    @Test
    void writes_fixture_tensors_back_in_half_precision_and_reads_them_rounded(@TempDir Path dir)
            throws IOException {
        Path file =
                TestData.require("hf-tiny/t5/adapters/adapter_1/adapter_model.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (DType half : List.of(DType.F16, DType.BF16)) {
                Path out = dir.resolve(half + ".safetensors");
                List<TensorData> converted = new java.util.ArrayList<>();
                for (TensorInfo t : reader.tensors()) {
                    converted.add(
                            TensorData.ofFloats(
                                    t.name(), t.shape(), reader.readFloat32(t.name()), half));
                }
                SafetensorsWriter.write(out, reader.metadata(), converted);
                try (SafetensorsReader back = SafetensorsReader.open(out)) {
                    for (TensorInfo t : reader.tensors()) {
                        assertThat(back.tensor(t.name()).orElseThrow().dtype()).isEqualTo(half);
                        float[] exact = reader.readFloat32(t.name());
                        float[] rounded = back.readFloat32(t.name());
                        for (int i = 0; i < exact.length; i++) {
                            short bits =
                                    half == DType.F16
                                            ? Float16.fromFloat(exact[i])
                                            : BFloat16.fromFloat(exact[i]);
                            float expected =
                                    half == DType.F16
                                            ? Float16.toFloat(bits)
                                            : BFloat16.toFloat(bits);
                            assertThat(rounded[i]).isEqualTo(expected);
                            // relative error of round-to-nearest: 2^-11 (F16 normal), 2^-8 (BF16)
                            double tol =
                                    half == DType.F16
                                            ? 0x1p-11 * Math.abs(exact[i]) + 0x1p-25
                                            : 0x1p-8 * Math.abs(exact[i]);
                            assertThat((double) Math.abs(rounded[i] - exact[i]))
                                    .isLessThanOrEqualTo(tol);
                        }
                    }
                }
            }
        }
    }
}
