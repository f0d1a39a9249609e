package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.io.DType;
import dev.lorahub.io.PytorchReader;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import dev.lorahub.io.TensorEntry;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Checkpoint#load} streams bytes into native memory chunk by chunk: every element must land
 * where it belongs, whatever the chunk size, for every float storage type.
 */
class CheckpointStreamingTest {
    @TempDir Path tmp;

    /** Staging sizes: 8 bytes (2 floats, every tensor crosses many chunks) up to the default. */
    @ParameterizedTest(name = "staging {0} bytes")
    @ValueSource(ints = {8, 24, 1000, Checkpoint.STAGING_BYTES})
    void loads_every_float_type_bit_exactly_across_chunk_boundaries(int stagingBytes)
            throws IOException {
        long seed = 20261207L + stagingBytes;
        SplittableRandom rnd = new SplittableRandom(seed);
        List<TensorData> tensors = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        DType[] types = {DType.F32, DType.F16, DType.BF16, DType.F64, DType.F32};
        long[][] shapes = {{37, 53}, {41, 7}, {1000}, {3, 3}, {2, 0, 4}};
        for (int i = 0; i < types.length; i++) {
            int n = 1;
            for (long d : shapes[i]) {
                n *= (int) d;
            }
            float[] v = new float[n];
            for (int k = 0; k < n; k++) {
                v[k] = (float) (rnd.nextDouble() * 8 - 4);
            }
            values.add(v);
            tensors.add(TensorData.ofFloats("t" + i, shapes[i], v, types[i]));
        }
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), Map.of(), tensors);

        try (Checkpoint c = Checkpoint.open(tmp).stagingBytes(stagingBytes);
                NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < types.length; i++) {
                NDArray a = c.load("t" + i, m);
                assertThat(a.getShape().getShape())
                        .as("seed %d, t%d", seed, i)
                        .containsExactly(shapes[i]);
                // independent truth: the reader's memory-mapped decode of the same bytes
                float[] expected = c.readFloats("t" + i);
                assertThat(a.toFloatArray()).as("seed %d, t%d %s", seed, i, types[i]).containsExactly(expected);
                if (types[i] == DType.F32) {
                    assertThat(a.toFloatArray()).as("seed %d, t%d", seed, i).containsExactly(values.get(i));
                }
            }
        }
    }

    @Test
    void a_file_cut_short_after_validation_is_a_format_error_naming_it() throws IOException {
        float[] v = new float[64];
        SafetensorsWriter.write(
                tmp.resolve("model.safetensors"),
                Map.of(),
                List.of(TensorData.ofFloats("w", new long[] {8, 8}, v, DType.F32)));
        Path file = tmp.resolve("model.safetensors");
        try (Checkpoint c = Checkpoint.open(tmp);
                NDManager m = NDManager.newBaseManager()) {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(raf.length() - 40);
            }
            assertThatThrownBy(() -> c.load("w", m))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("model.safetensors")
                    .hasMessageContaining("truncated");
        }
    }

    /**
     * Pickled checkpoints stream too: zip and legacy files, views at an offset into a shared
     * storage, F16/BF16 records. Truth: the safetensors file the pickle was made from (F32), or the
     * core reader's decode of the pickle (F16/BF16, itself checked against rounded originals in
     * PytorchReaderTest). The zip/legacy shared-storage variants hold a transposed view, which has
     * no contiguous offset and takes the gathered path.
     */
    @ParameterizedTest(name = "{0} staging {2}")
    @CsvSource({
        "pickles/llama/model/pytorch_model.bin, hf-tiny/llama/model/model.safetensors, 24",
        "pickles/llama/model/pytorch_model.bin, hf-tiny/llama/model/model.safetensors, 16777216",
        "pickles/variants/llama_adapter_0_zip_shared_storage/adapter_model.bin, hf-tiny/llama/adapters/adapter_0/adapter_model.safetensors, 24",
        "pickles/variants/llama_adapter_0_legacy_shared_storage/adapter_model.bin, hf-tiny/llama/adapters/adapter_0/adapter_model.safetensors, 1000",
        "pickles/variants/llama_adapter_0_legacy_fp16/adapter_model.bin, -, 24",
        "pickles/variants/llama_adapter_0_zip_bf16/adapter_model.bin, -, 1000",
    })
    void pickled_tensors_load_bit_exactly_whether_streamed_or_gathered(
            String pickle, String original, int stagingBytes) throws IOException {
        Files.copy(TestData.require(pickle), tmp.resolve(Checkpoint.PICKLE_SINGLE));
        int streamed = 0;
        int gathered = 0;
        try (Checkpoint c = Checkpoint.open(tmp).stagingBytes(stagingBytes);
                PytorchReader p = PytorchReader.open(tmp.resolve(Checkpoint.PICKLE_SINGLE));
                SafetensorsReader s =
                        original.equals("-") ? null : SafetensorsReader.open(TestData.require(original));
                NDManager m = NDManager.newBaseManager()) {
            for (TensorEntry e : p.entries()) {
                float[] expected = s == null ? p.readFloat32(e.name()) : s.readFloat32(e.name());
                try (NDArray a = c.load(e.name(), m)) {
                    assertThat(a.getShape().getShape()).as(e.name()).containsExactly(e.shape());
                    assertThat(bits(a.toFloatArray())).as(e.name()).containsExactly(bits(expected));
                }
                if (p.contiguousOffset(e.name()).isPresent()) {
                    streamed++;
                } else {
                    gathered++;
                }
            }
        }
        assertThat(streamed).as("tensors streamed").isPositive();
        assertThat(gathered)
                .as("transposed views gathered")
                .isEqualTo(pickle.contains("shared_storage") ? 1 : 0);
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }
}
