package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sparse file over 2 GB (nothing but a header and a few written bytes take disk space): offsets
 * beyond 2^31 and the per-request mapping path of the reader.
 */
class SafetensorsLargeFileTest {
    /** 2^30 + 8 F16 elements: 2^31 + 16 bytes, more than one ByteBuffer holds. */
    private static final long BIG_NUMEL = (1L << 30) + 8;

    @Test
    void reads_values_stored_beyond_two_gigabytes(@TempDir Path dir) throws IOException {
        long bigBytes = BIG_NUMEL * 2;
        String json =
                "{\"big\":{\"dtype\":\"F16\",\"shape\":["
                        + BIG_NUMEL
                        + "],\"data_offsets\":[0,"
                        + bigBytes
                        + "]},\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":["
                        + bigBytes
                        + ","
                        + (bigBytes + 16)
                        + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + header.length;
        long length = dataStart + bigBytes + 16;
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
            ByteBuffer head = ByteBuffer.allocate((int) dataStart).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header);
            raf.write(head.array());
            // the last two F16 elements of 'big': 1.5 (0x3E00) and -2 (0xC000)
            raf.seek(dataStart + bigBytes - 4);
            raf.write(new byte[] {0x00, 0x3E, 0x00, (byte) 0xC0});
            ByteBuffer x = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            x.putFloat(1f).putFloat(-2.5f).putFloat(3e-8f).putFloat(Float.MAX_VALUE);
            raf.write(x.array());
        } catch (IOException e) {
            Assumptions.abort(
                    "skipped: the file system refused a sparse " + length + "-byte file: " + e);
        }
        assertThat(Files.size(file)).isGreaterThan(1L << 31);

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            TensorInfo x = reader.tensor("x").orElseThrow();
            assertThat(x.begin()).isEqualTo(bigBytes).isGreaterThan(Integer.MAX_VALUE);
            assertThat(reader.readFloat32("x")).containsExactly(1f, -2.5f, 3e-8f, Float.MAX_VALUE);
            assertThat(reader.rawBytes("x").getFloat(4)).isEqualTo(-2.5f);

            float[] tail = new float[4];
            reader.readFloat32("big", BIG_NUMEL - 4, tail, 0, 4);
            assertThat(tail).containsExactly(0f, 0f, 1.5f, -2f);
            assertThat(reader.tensor("big").orElseThrow().numel()).isEqualTo(BIG_NUMEL);
            assertThatThrownBy(() -> reader.rawBytes("big"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("more than one ByteBuffer holds");
            assertThatThrownBy(() -> reader.readFloat32("big", BIG_NUMEL - 2, tail, 0, 4))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
