package dev.lorahub.djl.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.djl.DjlBackend;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir Path tmp;

    /** A minimal GGUF v3 writer for tests: metadata strings/u32/f32 arrays, tensors as bytes. */
    private static final class Writer {
        final ByteArrayOutputStream header = new ByteArrayOutputStream();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final ByteArrayOutputStream infos = new ByteArrayOutputStream();
        int kv;
        int tensors;

        static byte[] le(int bytes, long v) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
            return Arrays.copyOf(b.array(), bytes);
        }

        static void str(ByteArrayOutputStream out, String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(le(8, u.length));
            out.writeBytes(u);
        }

        Writer u32(String key, int v) {
            str(header, key);
            header.writeBytes(le(4, 4));
            header.writeBytes(le(4, v));
            kv++;
            return this;
        }

        Writer string(String key, String v) {
            str(header, key);
            header.writeBytes(le(4, 8));
            str(header, v);
            kv++;
            return this;
        }

        Writer tensor(String name, int type, long[] ne, byte[] bytes) {
            str(infos, name);
            infos.writeBytes(le(4, ne.length));
            for (long d : ne) {
                infos.writeBytes(le(8, d));
            }
            infos.writeBytes(le(4, type));
            infos.writeBytes(le(8, data.size()));
            data.writeBytes(bytes);
            while (data.size() % 32 != 0) {
                data.write(0);
            }
            tensors++;
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(le(4, 3));
            out.writeBytes(le(8, tensors));
            out.writeBytes(le(8, kv));
            out.writeBytes(header.toByteArray());
            out.writeBytes(infos.toByteArray());
            while (out.size() % 32 != 0) {
                out.write(0);
            }
            out.writeBytes(data.toByteArray());
            return out.toByteArray();
        }
    }

    private static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    @Test
    void decodes_f32_f16_bf16_and_q8_0_tensors_with_row_major_shapes() throws IOException {
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 = 0x7BFF, 2^-24 = 0x0001
        byte[] f16 = {
            0x00, 0x3C, 0x00, (byte) 0xC0, 0x00, 0x38, (byte) 0xFF, 0x7B, 0x01, 0x00, 0x00, 0x00
        };
        // BF16: 1.5 = 0x3FC0, -3.0 = 0xC040
        byte[] bf16 = {(byte) 0xC0, 0x3F, 0x40, (byte) 0xC0};
        // Q8_0: one block, scale d = 0.5 (F16 0x3800), q = -128..-97
        ByteBuffer q8 = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN);
        q8.putShort((short) 0x3800);
        for (int j = 0; j < 32; j++) {
            q8.put((byte) (j - 128));
        }
        Path file = tmp.resolve("t.gguf");
        Files.write(
                file,
                new Writer()
                        .string("general.architecture", "llama")
                        .u32("general.alignment", 32)
                        .tensor("a", 0, new long[] {3, 2}, f32(1, 2, 3, 4, 5, 6))
                        .tensor("h", 1, new long[] {6}, f16)
                        .tensor("b", 30, new long[] {2}, bf16)
                        .tensor("q", 8, new long[] {32}, q8.array())
                        .bytes());
        GgufFile g = GgufFile.open(file);
        assertThat(g.metadata()).containsEntry("general.architecture", "llama");
        assertThat(g.tensor("a").orElseThrow().shape()).containsExactly(2, 3);
        assertThat(g.readFloats("a")).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(g.readFloats("h")).containsExactly(1f, -2f, 0.5f, 65504f, 0x1p-24f, 0f);
        assertThat(g.readFloats("b")).containsExactly(1.5f, -3f);
        float[] q = g.readFloats("q");
        for (int j = 0; j < 32; j++) {
            assertThat(q[j]).isEqualTo(0.5f * (j - 128));
        }
        assertThatThrownBy(() -> g.readFloats("zz"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'zz'")
                .hasMessageContaining("t.gguf");
    }

    @Test
    void decodes_q4_0_and_q4_1_blocks_as_ggml_does() throws IOException {
        // Q4_0: d = 0.5; byte j holds element j (low nibble j % 16) and element j + 16 (high 15 -
        // j)
        ByteBuffer q40 = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        q40.putShort((short) 0x3800);
        for (int j = 0; j < 16; j++) {
            q40.put((byte) (j | ((15 - j) << 4)));
        }
        // Q4_1: d = 0.25 (0x3400), m = -1 (0xBC00), same nibbles
        ByteBuffer q41 = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        q41.putShort((short) 0x3400).putShort((short) 0xBC00);
        for (int j = 0; j < 16; j++) {
            q41.put((byte) (j | ((15 - j) << 4)));
        }
        Path file = tmp.resolve("q4.gguf");
        Files.write(
                file,
                new Writer()
                        .tensor("a", 2, new long[] {32}, q40.array())
                        .tensor("b", 3, new long[] {32}, q41.array())
                        .bytes());
        GgufFile g = GgufFile.open(file);
        float[] a = g.readFloats("a");
        float[] b = g.readFloats("b");
        for (int j = 0; j < 16; j++) {
            assertThat(a[j]).as("q4_0 %d", j).isEqualTo(0.5f * (j - 8));
            assertThat(a[j + 16]).as("q4_0 %d", j + 16).isEqualTo(0.5f * (15 - j - 8));
            assertThat(b[j]).as("q4_1 %d", j).isEqualTo(0.25f * j - 1);
            assertThat(b[j + 16]).as("q4_1 %d", j + 16).isEqualTo(0.25f * (15 - j) - 1);
        }
    }

    @Test
    void refuses_unknown_types_other_architectures_and_truncated_files() throws IOException {
        Path q4 = tmp.resolve("q4.gguf");
        Files.write(q4, new Writer().tensor("w", 12, new long[] {256}, new byte[144]).bytes());
        assertThatThrownBy(() -> GgufFile.open(q4))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'w'")
                .hasMessageContaining("ggml type 12");
        Path gpt = tmp.resolve("gpt.gguf");
        Files.write(gpt, new Writer().string("general.architecture", "gpt2").bytes());
        assertThatThrownBy(() -> new DjlBackend().load(gpt))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("gpt2");
        Path notGguf = tmp.resolve("x.gguf");
        Files.writeString(notGguf, "hello world");
        assertThat(new DjlBackend().supports(notGguf)).isFalse();
        assertThatThrownBy(() -> new DjlBackend().load(notGguf))
                .isInstanceOf(ModelFormatException.class);

        Path stories = TestData.require("stories260K/stories260K.gguf");
        byte[] all = Files.readAllBytes(stories);
        for (int cut : List.of(all.length - 100, 20_000, 9_000, 100)) {
            Path truncated = tmp.resolve("cut" + cut + ".gguf");
            Files.write(truncated, Arrays.copyOf(all, cut));
            assertThatThrownBy(() -> new DjlBackend().load(truncated))
                    .as("cut at %d", cut)
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining(truncated.toString())
                    .hasMessageContaining("truncated");
        }
    }
}
