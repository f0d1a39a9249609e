package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.io.DType;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import dev.lorahub.model.WeightDtype;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Checkpoint#load(String, long[], NDManager, WeightDtype)} with {@link WeightDtype#F16}:
 * matrices become float16 (F16 bytes as they are, others rounded to nearest, ties to even),
 * vectors stay float32, and a value float16 cannot hold is refused. Truth: values chosen so their
 * float16 rounding is known in closed form.
 */
class CheckpointHalfTest {
    @TempDir Path tmp;

    /** Staging sizes: 8 bytes (every tensor crosses many chunks), 24, and the default. */
    @ParameterizedTest(name = "staging {0} bytes")
    @ValueSource(ints = {8, 24, Checkpoint.STAGING_BYTES})
    void f32_values_round_to_the_nearest_float16_ties_to_even(int stagingBytes)
            throws IOException {
        float one = 1f;
        float[] in = {
            0f, one, -2f, 65504f, -65504f, 0x1p-24f, 0.5f, 1 + 0x1p-10f, // exact in float16
            1 + 0x1p-11f, // halfway between 1 and 1 + 2^-10: to even, 1
            1 + 3 * 0x1p-11f, // halfway between 1 + 2^-10 and 1 + 2^-9: to even, 1 + 2^-9
            1 + 0x1p-11f + 0x1p-20f, // just above halfway: up
            0x1p-25f, // halfway between 0 and 2^-24: to even, 0
            3 * 0x1p-26f, // above halfway: 2^-24
            -1 - 0x1p-11f - 0x1p-20f, // negative, just beyond halfway: away from zero
        };
        float[] want = {
            0f, one, -2f, 65504f, -65504f, 0x1p-24f, 0.5f, 1 + 0x1p-10f,
            1f, 1 + 0x1p-9f, 1 + 0x1p-10f, 0f, 0x1p-24f, -1 - 0x1p-10f,
        };
        write(TensorData.ofFloats("w", new long[] {2, 7}, in, DType.F32));
        try (Checkpoint c = Checkpoint.open(tmp).stagingBytes(stagingBytes);
                NDManager m = NDManager.newBaseManager()) {
            NDArray a = c.load("w", new long[] {2, 7}, m, WeightDtype.F16);
            assertThat(a.getDataType()).isEqualTo(DataType.FLOAT16);
            assertThat(widen(a)).containsExactly(want);
        }
    }

    @ParameterizedTest(name = "staging {0} bytes")
    @ValueSource(ints = {8, 24, Checkpoint.STAGING_BYTES})
    void f16_bytes_are_kept_and_bf16_values_in_range_are_exact(int stagingBytes)
            throws IOException {
        long seed = 7_2026_1207L + stagingBytes;
        SplittableRandom rnd = new SplittableRandom(seed);
        // magnitudes 2^-17 .. 2^15: every BF16 value there is a float16 value
        float[] v = new float[37 * 53];
        for (int i = 0; i < v.length; i++) {
            double mag = Math.scalb(1.0 + rnd.nextDouble(), rnd.nextInt(-17, 15));
            v[i] = (float) (rnd.nextBoolean() ? mag : -mag);
        }
        write(
                TensorData.ofFloats("h", new long[] {37, 53}, v, DType.F16),
                TensorData.ofFloats("b", new long[] {53, 37}, v, DType.BF16),
                TensorData.ofFloats("norm", new long[] {v.length}, v, DType.BF16));
        try (Checkpoint c = Checkpoint.open(tmp).stagingBytes(stagingBytes);
                NDManager m = NDManager.newBaseManager()) {
            for (String name : List.of("h", "b")) {
                NDArray a = c.load(name, c.shape(name), m, WeightDtype.F16);
                assertThat(a.getDataType()).as("seed %d %s", seed, name).isEqualTo(DataType.FLOAT16);
                // the file's own values, decoded by the core reader: kept exactly
                assertThat(widen(a)).as("seed %d %s", seed, name).containsExactly(c.readFloats(name));
            }
            NDArray norm = c.load("norm", c.shape("norm"), m, WeightDtype.F16);
            assertThat(norm.getDataType()).as("vectors stay float32").isEqualTo(DataType.FLOAT32);
            assertThat(norm.toFloatArray()).containsExactly(c.readFloats("norm"));
        }
    }

    @Test
    void a_value_beyond_float16s_range_is_refused_naming_file_tensor_value_and_element()
            throws IOException {
        float[] v = new float[64];
        v[37] = 70000f;
        write(TensorData.ofFloats("model.layers.0.mlp.up_proj.weight", new long[] {8, 8}, v, DType.F32));
        try (Checkpoint c = Checkpoint.open(tmp).stagingBytes(24);
                NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(
                            () ->
                                    c.load(
                                            "model.layers.0.mlp.up_proj.weight",
                                            new long[] {8, 8},
                                            m,
                                            WeightDtype.F16))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("model.safetensors")
                    .hasMessageContaining("'model.layers.0.mlp.up_proj.weight'")
                    .hasMessageContaining("70000.0")
                    .hasMessageContaining("element 37")
                    .hasMessageContaining("f32");
            // float32 takes it
            NDArray a = c.load("model.layers.0.mlp.up_proj.weight", new long[] {8, 8}, m, WeightDtype.F32);
            assertThat(a.toFloatArray()[37]).isEqualTo(70000f);
        }
    }

    private void write(TensorData... tensors) throws IOException {
        SafetensorsWriter.write(tmp.resolve(Checkpoint.SINGLE), Map.of(), List.of(tensors));
    }

    /** float16 to float32 is exact. */
    private static float[] widen(NDArray half) {
        return half.toType(DataType.FLOAT32, false).toFloatArray();
    }
}
