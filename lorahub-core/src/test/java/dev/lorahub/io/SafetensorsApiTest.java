package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Misuse of the reader, writer and TensorData, and the guarantees of the writer's file handling.
 */
class SafetensorsApiTest {
    @TempDir Path dir;

    private static final long[] TWO_BY_TWO = {2, 2};

    private Path fileWithIntsAndFloats() throws IOException {
        Path f = dir.resolve("mixed.safetensors");
        byte[] ints =
                ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(-3)
                        .putLong(Long.MAX_VALUE)
                        .array();
        SafetensorsWriter.write(
                f,
                Map.of("format", "pt"),
                List.of(
                        TensorData.ofRaw("ids", DType.I64, new long[] {2}, ints),
                        TensorData.ofFloats("w", TWO_BY_TWO, new float[] {1, 2, 3, 4}, DType.F16)));
        return f;
    }

    @Test
    void reads_integer_tensors_as_raw_little_endian_bytes() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(fileWithIntsAndFloats())) {
            ByteBuffer ids = r.rawBytes("ids");
            assertThat(ids.isReadOnly()).isTrue();
            assertThat(ids.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(ids.getLong(0)).isEqualTo(-3);
            assertThat(ids.getLong(8)).isEqualTo(Long.MAX_VALUE);
            assertThat(r.readFloat32("w")).containsExactly(1f, 2f, 3f, 4f);
        }
    }

    @Test
    void refuses_to_read_an_integer_tensor_as_floats() throws IOException {
        Path f = fileWithIntsAndFloats();
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertThatThrownBy(() -> r.readFloat32("ids"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(f.toString())
                    .hasMessageContaining("tensor 'ids' is I64, not a float type");
        }
    }

    @Test
    void names_the_file_and_tensor_when_a_tensor_is_missing_or_the_reader_closed()
            throws IOException {
        Path f = fileWithIntsAndFloats();
        SafetensorsReader r = SafetensorsReader.open(f);
        assertThatThrownBy(() -> r.rawBytes("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(f + ": no tensor 'nope'");
        r.close();
        r.close(); // idempotent
        assertThatThrownBy(() -> r.readFloat32("w"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void never_replaces_a_file_that_is_open_for_reading() throws IOException {
        Path f = fileWithIntsAndFloats();
        byte[] before = Files.readAllBytes(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertThatThrownBy(() -> SafetensorsWriter.write(f, Map.of(), r.readAll()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("refusing to replace");
        }
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(f); // no temporary file left behind
        }
        // closed: replacing is allowed again
        SafetensorsWriter.write(f, Map.of(), List.of());
        assertThat(Files.size(f)).isEqualTo(16); // N = 8 and "{}      "
    }

    @Test
    void writes_an_empty_file_as_the_reference_does() {
        byte[] b = SafetensorsWriter.toBytes(Map.of(), List.of());
        assertThat(b)
                .containsExactly(8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ');
        assertThat(SafetensorsReader.parse(ByteBuffer.wrap(b), Path.of("e")).tensors()).isEmpty();
    }

    @Test
    void rejects_duplicate_or_reserved_tensor_names() {
        TensorData a = TensorData.ofFloats("a", new long[] {1}, new float[] {1}, DType.F32);
        assertThatThrownBy(() -> SafetensorsWriter.toBytes(Map.of(), List.of(a, a)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate tensor name 'a'");
        assertThatThrownBy(() -> a.withName("__metadata__"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tensor_data_checks_sizes_and_copies_its_input() {
        assertThatThrownBy(() -> TensorData.ofFloats("x", TWO_BY_TWO, new float[3], DType.F32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shape [2, 2] has 4 elements, got 3 values");
        assertThatThrownBy(() -> TensorData.ofFloats("x", TWO_BY_TWO, new float[4], DType.I32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot store floats as I32");
        assertThatThrownBy(() -> TensorData.ofRaw("x", DType.BF16, TWO_BY_TWO, new byte[7]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("BF16 [2, 2] needs 8 bytes, got 7");
        byte[] raw = {1, 2};
        long[] shape = {2};
        TensorData t = TensorData.ofRaw("x", DType.U8, shape, raw);
        raw[0] = 9;
        shape[0] = 5;
        assertThat(t.bytes().get(0)).isEqualTo((byte) 1);
        assertThat(t.shape()).containsExactly(2);
        assertThat(t.bytes().isReadOnly()).isTrue();
    }

    @Test
    void stores_f64_exactly_and_halves_rounded_to_nearest_even() {
        float[] v = {0.1f, 1 + 0x1p-11f, 1 + 0x1p-8f, 3e-8f};
        assertThat(TensorData.ofFloats("x", new long[] {4}, v, DType.F64).toFloats())
                .containsExactly(v);
        // 1 + 2^-11 is the F16 tie between 1 and 1 + 2^-10: even is 1
        assertThat(TensorData.ofFloats("x", new long[] {4}, v, DType.F16).toFloats()[1])
                .isEqualTo(1f);
        // 1 + 2^-8 is the BF16 tie between 1 and 1 + 2^-7: even is 1
        assertThat(TensorData.ofFloats("x", new long[] {4}, v, DType.BF16).toFloats()[2])
                .isEqualTo(1f);
    }

    @Test
    void tensor_info_validates_and_copies_its_shape() {
        long[] shape = {3, 0};
        TensorInfo t = new TensorInfo("z", DType.F32, shape, 5, 5);
        shape[1] = 7;
        assertThat(t.shape()).containsExactly(3, 0);
        assertThat(t.numel()).isZero();
        assertThat(new TensorInfo("s", DType.F64, new long[0], 0, 8).numel()).isEqualTo(1);
        assertThat(t).isEqualTo(new TensorInfo("z", DType.F32, new long[] {3, 0}, 5, 5));
        assertThatThrownBy(() -> new TensorInfo("y", DType.F32, new long[] {2}, 0, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hold 4 bytes, expected 8");
    }

    @Test
    void parses_every_dtype_name_case_sensitively() {
        for (DType t : DType.values()) {
            assertThat(DType.fromName(t.name())).contains(t);
        }
        assertThat(DType.fromName("bf16")).isEmpty();
        assertThat(DType.values())
                .extracting(DType::byteSize)
                .containsExactly(1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8);
    }

    @Test
    void tensor_data_refuses_a_negative_dimension_naming_it() {
        // [-2, -2] has the product 4: it must not pass as 4 values, nor read "-1 elements"
        assertThatThrownBy(
                        () ->
                                TensorData.ofFloats(
                                        "w", new long[] {-2, -2}, new float[4], DType.F32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor 'w': shape [-2, -2] has the negative dimension -2 at index 0");
        assertThatThrownBy(() -> TensorData.ofRaw("ids", DType.I8, new long[] {3, -1}, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor 'ids': shape [3, -1] has the negative dimension -1 at index 1");
    }
}
