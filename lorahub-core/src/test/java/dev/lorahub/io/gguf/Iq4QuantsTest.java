package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * IQ4_NL and IQ4_XS against llama.cpp's own numpy dequantization ({@code gguf-py/gguf/quants.py},
 * run by {@code gguf-iq/make_iq4.py}) of seeded random blocks: every element bit for bit, signed
 * zeros included, decoded directly and through a GGUF file holding the blocks as a tensor.
 */
class Iq4QuantsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"IQ4_NL, iq4_nl, 64", "IQ4_XS, iq4_xs, 16"})
    void random_blocks_decode_to_gguf_py_values_bit_for_bit(GgmlType type, String name, int blocks)
            throws IOException {
        byte[] raw = Files.readAllBytes(TestData.require("gguf-iq/" + name + ".blocks"));
        int[] want = floatBits(TestData.require("gguf-iq/" + name + ".f32"));
        assertThat(raw).hasSize(blocks * type.typeSize());
        assertThat(want).hasSize(blocks * type.blockSize());
        float[] got = new float[want.length];
        Dequantize.decode(type, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN), 0, got, 0, got.length);
        assertBits(type, got, want);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"IQ4_NL, iq4_nl, 256", "IQ4_XS, iq4_xs, 512"})
    void a_gguf_tensor_of_those_blocks_reads_as_gguf_py_dequantizes_it(
            GgmlType type, String name, long rowLength) throws IOException {
        byte[] raw = Files.readAllBytes(TestData.require("gguf-iq/" + name + ".blocks"));
        int[] want = floatBits(TestData.require("gguf-iq/" + name + ".f32"));
        long[] ne = {rowLength, want.length / rowLength};
        byte[] file = new GgufWriter().tensor("blk.0.ffn_down.weight", type, ne, raw).toBytes();
        GgufFile g = GgufFile.parse(ByteBuffer.wrap(file), Path.of(name + ".gguf"));
        assertThat(g.tensors().get("blk.0.ffn_down.weight").type()).isEqualTo(type);
        assertBits(type, g.readFloats("blk.0.ffn_down.weight"), want);
    }

    private static void assertBits(GgmlType type, float[] got, int[] want) {
        assertThat(got).hasSize(want.length);
        for (int e = 0; e < want.length; e++) {
            assertThat(Float.floatToRawIntBits(got[e]))
                    .as("%s block %d element %d: %s, gguf-py %s", type, e / type.blockSize(),
                            e % type.blockSize(), got[e], Float.intBitsToFloat(want[e]))
                    .isEqualTo(want[e]);
        }
    }

    private static int[] floatBits(Path f32) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f32)).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }
}
