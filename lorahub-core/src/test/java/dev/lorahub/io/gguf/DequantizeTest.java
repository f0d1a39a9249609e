package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.io.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Every decodable type against a second, independent reading of ggml's block layouts ({@code
 * ggml-common.h}, and the packing of {@code quantize_row_*_ref}): the value of element {@code e} is
 * computed from which bytes and bits hold it, not by replaying {@code dequantize_row_*}'s loops.
 * Random blocks (finite f16 scales, every other byte random), 200 seeds per type, compared bit for
 * bit. This is how Q5_1, Q3_K, Q5_K and BF16, which the ggml-written fixtures lack, are checked
 * (IQ4_NL and IQ4_XS also against gguf-py: {@link Iq4QuantsTest}); the types the fixtures have are
 * checked here too, so the two readings are tied to ggml's output.
 */
class DequantizeTest {
    private static final Set<GgmlType> DECODABLE = EnumSet.noneOf(GgmlType.class);

    static {
        for (GgmlType t : GgmlType.values()) {
            if (t.isDecodable()) {
                DECODABLE.add(t);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
                "IQ4_NL", "IQ4_XS"})
    void random_blocks_decode_to_the_layouts_closed_form_bit_for_bit(GgmlType type) {
        for (long seed = 0; seed < 200; seed++) {
            int blocks = 3;
            byte[] raw = randomBlocks(type, blocks, new Random(seed * 31 + type.id()));
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            float[] got = new float[blocks * type.blockSize()];
            Dequantize.decode(type, b, 0, got, 0, got.length);
            for (int e = 0; e < got.length; e++) {
                int block = e / type.blockSize();
                float want = closedForm(type, b, block * type.typeSize(), e % type.blockSize());
                assertThat(Float.floatToRawIntBits(got[e]))
                        .as("%s seed %d element %d: %s vs %s", type, seed, e, got[e], want)
                        .isEqualTo(Float.floatToRawIntBits(want));
            }
        }
    }

    @Test
    void every_decodable_type_is_covered_here_or_is_a_plain_float_type() {
        assertThat(DECODABLE)
                .containsExactlyInAnyOrder(
                        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1,
                        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K,
                        GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL,
                        GgmlType.IQ4_XS);
    }

    @Test
    void bf16_is_the_top_half_of_a_binary32_for_every_pattern() {
        ByteBuffer b = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
        for (int h = 0; h < 65536; h++) {
            b.putShort((short) h);
        }
        float[] out = new float[65536];
        Dequantize.decode(GgmlType.BF16, b, 0, out, 0, 65536);
        for (int h = 0; h < 65536; h++) {
            assertThat(Float.floatToRawIntBits(out[h])).as("bf16 %04x", h).isEqualTo(h << 16);
        }
        assertThat(out[0x3FC0]).isEqualTo(1.5f);
        assertThat(out[0xC040]).isEqualTo(-3f);
    }

    /**
     * Hand-made blocks whose values are worked out on paper from the layouts. Q5_1: d = 0.5, m =
     * -4, nibble k and fifth bit set for odd elements: x_e = 0.5 * (e % 16 + 16 * (e % 2)) - 4.
     */
    @Test
    void a_hand_made_q5_1_block_gives_the_values_worked_out_from_its_layout() {
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(Float16.fromFloat(0.5f)).putShort(Float16.fromFloat(-4f));
        b.putInt(0xAAAA_AAAA); // fifth bit of every odd element
        for (int j = 0; j < 16; j++) {
            b.put((byte) (j | (j << 4))); // element j and j + 16 both hold nibble j
        }
        float[] y = new float[32];
        Dequantize.decode(GgmlType.Q5_1, b, 0, y, 0, 32);
        for (int e = 0; e < 32; e++) {
            assertThat(y[e]).as("element %d", e).isEqualTo(0.5f * (e % 16 + 16 * (e % 2)) - 4f);
        }
    }

    /**
     * Q5_K with d = 1/64, dmin = 1, every sub-block scale 3 and min 2 (6-bit fields), every nibble
     * 15 and every fifth bit set: x = (1/64) * 3 * 31 - 1 * 2 = 93/64 - 2 = -0.546875.
     */
    @Test
    void a_hand_made_q5_k_block_gives_the_value_worked_out_from_its_layout() {
        ByteBuffer b = ByteBuffer.allocate(176).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(Float16.fromFloat(1f / 64)).putShort(Float16.fromFloat(1f));
        // scales[0..3] = 3, scales[4..7] = mins 2, scales[8..11] = (3 | 2 << 4) for j = 4..7
        for (int j = 0; j < 4; j++) {
            b.put(4 + j, (byte) 3).put(8 + j, (byte) 2).put(12 + j, (byte) (3 | (2 << 4)));
        }
        for (int i = 16; i < 176; i++) {
            b.put(i, (byte) 0xFF);
        }
        float[] y = new float[256];
        Dequantize.decode(GgmlType.Q5_K, b, 0, y, 0, 256);
        for (int e = 0; e < 256; e++) {
            assertThat(y[e]).as("element %d", e).isEqualTo(-0.546875f);
        }
    }

    /**
     * Q3_K with d = 0.25, every 6-bit scale 40 (so 40 - 32 = 8), 2-bit quants 1 and high bits
     * clear for the first 128 elements, set for the rest: x = 0.25 * 8 * (1 - 4) = -6 then 0.25 * 8
     * * 1 = 2.
     */
    @Test
    void a_hand_made_q3_k_block_gives_the_values_worked_out_from_its_layout() {
        ByteBuffer b = ByteBuffer.allocate(110).order(ByteOrder.LITTLE_ENDIAN);
        // hmask: bit k of byte l is element k * 32 + l's high bit; elements 128.. are bits 4..7
        for (int l = 0; l < 32; l++) {
            b.put(l, (byte) 0xF0);
        }
        for (int i = 32; i < 96; i++) {
            b.put(i, (byte) 0x55); // 2-bit 1 in every position
        }
        // scale 40 = 0b101000: low nibble 8 in scales[0..7] (both halves), high 2 bits 0b10
        for (int i = 96; i < 104; i++) {
            b.put(i, (byte) 0x88);
        }
        for (int i = 104; i < 108; i++) {
            b.put(i, (byte) 0xAA);
        }
        b.putShort(108, Float16.fromFloat(0.25f));
        float[] y = new float[256];
        Dequantize.decode(GgmlType.Q3_K, b, 0, y, 0, 256);
        for (int e = 0; e < 256; e++) {
            assertThat(y[e]).as("element %d", e).isEqualTo(e < 128 ? -6f : 2f);
        }
    }

    /** Quantizing with ggml's quantize_row_q5_1_ref and decoding gives x within d / 2 + rounding. */
    @Test
    void q5_1_round_trips_through_ggmls_reference_quantizer() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            float[] x = new float[32];
            for (int i = 0; i < 32; i++) {
                x[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            ByteBuffer b = ByteBuffer.wrap(quantizeQ5_1(x)).order(ByteOrder.LITTLE_ENDIAN);
            float[] y = new float[32];
            Dequantize.decode(GgmlType.Q5_1, b, 0, y, 0, 32);
            float d = Float16.toFloat(b.getShort(0));
            float min = Float16.toFloat(b.getShort(2));
            for (int i = 0; i < 32; i++) {
                // q is chosen with the float32 d and min, decoded with their f16 roundings
                // (relative error <= 2^-11 each): |error| <= d/2 + 31 * d * 2^-11 + |m| * 2^-11,
                // plus float32 rounding
                double bound = d * 0.5 + 31 * d * 0x1p-11 + Math.abs(min) * 0x1p-11 + 1e-9;
                assertThat((double) Math.abs(y[i] - x[i]))
                        .as("trial %d element %d", trial, i)
                        .isLessThanOrEqualTo(bound);
            }
        }
        // values on the grid come back exactly: m = -1, d = 1/16, k = 0..31
        float[] grid = new float[32];
        for (int i = 0; i < 32; i++) {
            grid[i] = -1f + ((i * 7) % 32) / 16f;
        }
        float[] y = new float[32];
        Dequantize.decode(
                GgmlType.Q5_1,
                ByteBuffer.wrap(quantizeQ5_1(grid)).order(ByteOrder.LITTLE_ENDIAN),
                0,
                y,
                0,
                32);
        assertThat(y).containsExactly(grid);
    }

    /** ggml's quantize_row_q5_1_ref for one block (ggml-quants.c), transcribed. */
    static byte[] quantizeQ5_1(float[] x) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : x) {
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / ((1 << 5) - 1);
        float id = d != 0 ? 1.0f / d : 0.0f;
        ByteBuffer y = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        y.putShort(Float16.fromFloat(d)).putShort(Float16.fromFloat(min));
        int qh = 0;
        byte[] qs = new byte[16];
        for (int j = 0; j < 16; j++) {
            float x0 = (x[j] - min) * id;
            float x1 = (x[16 + j] - min) * id;
            int xi0 = (int) (x0 + 0.5f) & 0xFF;
            int xi1 = (int) (x1 + 0.5f) & 0xFF;
            qs[j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        y.putInt(qh).put(qs);
        return y.array();
    }

    private static byte[] randomBlocks(GgmlType type, int blocks, Random rnd) {
        byte[] raw = new byte[blocks * type.typeSize()];
        rnd.nextBytes(raw);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < blocks; k++) {
            int at = k * type.typeSize();
            for (int off : halfOffsets(type)) {
                b.putShort(at + off, Float16.fromFloat((float) (rnd.nextGaussian() * 0.01)));
            }
        }
        return raw;
    }

    /** Where each type keeps its f16 scales (ggml-common.h). */
    private static int[] halfOffsets(GgmlType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static int u8(ByteBuffer b, int at) {
        return b.get(at) & 0xFF;
    }

    private static float h(ByteBuffer b, int at) {
        return Float16.toFloat(b.getShort(at));
    }

    /** Element e of the block at byte {@code at}, from where its bits live. */
    private static float closedForm(GgmlType type, ByteBuffer b, int at, int e) {
        switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1 -> {
                boolean hasMin = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
                boolean five = type == GgmlType.Q5_0 || type == GgmlType.Q5_1;
                int qs = at + 2 + (hasMin ? 2 : 0) + (five ? 4 : 0);
                int nib = e < 16 ? u8(b, qs + e) & 0xF : u8(b, qs + e - 16) >>> 4;
                int high = five ? (b.getInt(at + (hasMin ? 4 : 2)) >>> e) & 1 : 0;
                int q = nib | (high << 4);
                float d = h(b, at);
                if (hasMin) {
                    return q * d + h(b, at + 2);
                }
                return (q - (five ? 16 : 8)) * d;
            }
            case Q8_0 -> {
                return b.get(at + 2 + e) * h(b, at);
            }
            case Q2_K -> {
                int half = e / 128;
                int r = e % 128;
                int q = (u8(b, at + 16 + half * 32 + r % 32) >>> (2 * (r / 32))) & 3;
                int sc = u8(b, at + e / 16);
                return h(b, at + 80) * (sc & 0xF) * q - h(b, at + 82) * (sc >>> 4);
            }
            case Q3_K -> {
                int half = e / 128;
                int r = e % 128;
                int q = (u8(b, at + 32 + half * 32 + r % 32) >>> (2 * (r / 32))) & 3;
                int hbit = (u8(b, at + r % 32) >>> (half * 4 + r / 32)) & 1;
                int i = e / 16;
                int low = i < 8 ? u8(b, at + 96 + i) & 0xF : u8(b, at + 96 + i - 8) >>> 4;
                int top = (u8(b, at + 96 + 8 + i % 4) >>> (2 * (i / 4))) & 3;
                int sc = (low | (top << 4)) - 32;
                return h(b, at + 108) * sc * (q - (hbit == 1 ? 0 : 4));
            }
            case Q4_K, Q5_K -> {
                boolean five = type == GgmlType.Q5_K;
                int chunk = e / 64;
                int r = e % 64;
                int qs = at + (five ? 48 : 16);
                int q = u8(b, qs + chunk * 32 + r % 32);
                q = r < 32 ? q & 0xF : q >>> 4;
                if (five) {
                    q += ((u8(b, at + 16 + r % 32) >>> (2 * chunk + r / 32)) & 1) * 16;
                }
                int j = e / 32;
                int sc;
                int m;
                if (j < 4) {
                    sc = u8(b, at + 4 + j) & 63;
                    m = u8(b, at + 4 + j + 4) & 63;
                } else {
                    sc = (u8(b, at + 4 + j + 4) & 0xF) | ((u8(b, at + 4 + j - 4) >>> 6) << 4);
                    m = (u8(b, at + 4 + j + 4) >>> 4) | ((u8(b, at + 4 + j) >>> 6) << 4);
                }
                return h(b, at) * sc * q - h(b, at + 2) * m;
            }
            case Q6_K -> {
                int half = e / 128;
                int r = e % 128;
                int quarter = r / 32;
                int l = r % 32;
                int lowByte = u8(b, at + half * 64 + (quarter % 2) * 32 + l);
                int low = quarter < 2 ? lowByte & 0xF : lowByte >>> 4;
                int high = (u8(b, at + 128 + half * 32 + l) >>> (2 * quarter)) & 3;
                int q = (low | (high << 4)) - 32;
                return h(b, at + 208) * b.get(at + 192 + e / 16) * q;
            }
            case IQ4_NL -> {
                int nib = e < 16 ? u8(b, at + 2 + e) & 0xF : u8(b, at + 2 + e - 16) >>> 4;
                return h(b, at) * KVALUES_IQ4NL[nib];
            }
            case IQ4_XS -> {
                int sub = e / 32;
                int r = e % 32;
                int q = u8(b, at + 8 + 16 * sub + r % 16);
                int nib = r < 16 ? q & 0xF : q >>> 4;
                int low = (u8(b, at + 4 + sub / 2) >>> (sub % 2 == 0 ? 0 : 4)) & 0xF;
                int high = ((b.getShort(at + 2) & 0xFFFF) >>> (2 * sub)) & 3;
                return (h(b, at) * (low + 16 * high - 32)) * KVALUES_IQ4NL[nib];
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
    }

    /** kvalues_iq4nl of ggml-common.h. */
    private static final int[] KVALUES_IQ4NL = {
        -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113
    };
}
