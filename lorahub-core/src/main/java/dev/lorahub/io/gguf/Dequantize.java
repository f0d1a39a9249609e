package dev.lorahub.io.gguf;

import dev.lorahub.io.Float16;
import java.nio.ByteBuffer;

/**
 * ggml's {@code to_float} for every decodable {@link GgmlType}, transcribed from {@code
 * dequantize_row_*} in ggml's {@code ggml-quants.c} (block layouts from {@code ggml-common.h}).
 * Every operation is done in float32 in ggml's order; every product in these formats is exact in
 * float32, so the result is bit-identical to ggml's (signed zeros included).
 *
 * <p>All reads are absolute, little-endian, from {@code b} starting at byte {@code at}; {@code n}
 * is a multiple of the type's block size.
 */
final class Dequantize {
    private Dequantize() {}

    static void decode(GgmlType type, ByteBuffer b, int at, float[] y, int yi, int n) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    y[yi + i] = Float.intBitsToFloat(b.getInt(at + 4 * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    y[yi + i] = Float16.toFloat(b.getShort(at + 2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    y[yi + i] = Float.intBitsToFloat((b.getShort(at + 2 * i) & 0xFFFF) << 16);
                }
            }
            case Q4_0 -> q4_0(b, at, y, yi, n);
            case Q4_1 -> q4_1(b, at, y, yi, n);
            case Q5_0 -> q5_0(b, at, y, yi, n);
            case Q5_1 -> q5_1(b, at, y, yi, n);
            case Q8_0 -> q8_0(b, at, y, yi, n);
            case Q2_K -> q2K(b, at, y, yi, n);
            case Q3_K -> q3K(b, at, y, yi, n);
            case Q4_K -> q4K(b, at, y, yi, n);
            case Q5_K -> q5K(b, at, y, yi, n);
            case Q6_K -> q6K(b, at, y, yi, n);
            case IQ4_NL -> iq4nl(b, at, y, yi, n);
            case IQ4_XS -> iq4xs(b, at, y, yi, n);
            default -> throw new IllegalArgumentException("no decoder for " + type);
        }
    }

    /** {@code kvalues_iq4nl} of ggml-common.h: the 16 levels of IQ4_NL and IQ4_XS. */
    private static final int[] KVALUES_IQ4NL = {
        -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113
    };

    private static void iq4nl(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 32; i++, at += 18, yi += 32) {
            float d = half(b, at);
            for (int j = 0; j < 16; j++) {
                int q = u8(b, at + 2 + j);
                y[yi + j] = d * KVALUES_IQ4NL[q & 0x0F];
                y[yi + j + 16] = d * KVALUES_IQ4NL[q >>> 4];
            }
        }
    }

    /** block_iq4_xs: f16 d, u16 scales_h, u8 scales_l[4], u8 qs[128]. */
    private static void iq4xs(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 256; i++, at += 136) {
            float d = half(b, at);
            int scalesH = b.getShort(at + 2) & 0xFFFF;
            int qs = at + 8;
            for (int ib = 0; ib < 8; ib++, qs += 16, yi += 32) {
                int ls = ((u8(b, at + 4 + ib / 2) >>> (4 * (ib % 2))) & 0x0F)
                        | (((scalesH >>> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                for (int j = 0; j < 16; j++) {
                    int q = u8(b, qs + j);
                    y[yi + j] = dl * KVALUES_IQ4NL[q & 0x0F];
                    y[yi + j + 16] = dl * KVALUES_IQ4NL[q >>> 4];
                }
            }
        }
    }

    private static float half(ByteBuffer b, int at) {
        return Float16.toFloat(b.getShort(at));
    }

    private static int u8(ByteBuffer b, int at) {
        return b.get(at) & 0xFF;
    }

    private static void q4_0(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 32; i++, at += 18, yi += 32) {
            float d = half(b, at);
            for (int j = 0; j < 16; j++) {
                int q = u8(b, at + 2 + j);
                int x0 = (q & 0x0F) - 8;
                int x1 = (q >>> 4) - 8;
                y[yi + j] = x0 * d;
                y[yi + j + 16] = x1 * d;
            }
        }
    }

    private static void q4_1(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 32; i++, at += 20, yi += 32) {
            float d = half(b, at);
            float m = half(b, at + 2);
            for (int j = 0; j < 16; j++) {
                int q = u8(b, at + 4 + j);
                y[yi + j] = (q & 0x0F) * d + m;
                y[yi + j + 16] = (q >>> 4) * d + m;
            }
        }
    }

    private static void q5_0(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 32; i++, at += 22, yi += 32) {
            float d = half(b, at);
            int qh = b.getInt(at + 2);
            for (int j = 0; j < 16; j++) {
                int xh0 = ((qh >>> j) << 4) & 0x10;
                int xh1 = (qh >>> (j + 12)) & 0x10;
                int q = u8(b, at + 6 + j);
                int x0 = ((q & 0x0F) | xh0) - 16;
                int x1 = ((q >>> 4) | xh1) - 16;
                y[yi + j] = x0 * d;
                y[yi + j + 16] = x1 * d;
            }
        }
    }

    private static void q5_1(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 32; i++, at += 24, yi += 32) {
            float d = half(b, at);
            float m = half(b, at + 2);
            int qh = b.getInt(at + 4);
            for (int j = 0; j < 16; j++) {
                int xh0 = ((qh >>> j) << 4) & 0x10;
                int xh1 = (qh >>> (j + 12)) & 0x10;
                int q = u8(b, at + 8 + j);
                int x0 = (q & 0x0F) | xh0;
                int x1 = (q >>> 4) | xh1;
                y[yi + j] = x0 * d + m;
                y[yi + j + 16] = x1 * d + m;
            }
        }
    }

    private static void q8_0(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 32; i++, at += 34, yi += 32) {
            float d = half(b, at);
            for (int j = 0; j < 32; j++) {
                y[yi + j] = b.get(at + 2 + j) * d;
            }
        }
    }

    /** block_q2_K: scales[16] @0, qs[64] @16, d @80, dmin @82. */
    private static void q2K(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 256; i++, at += 84) {
            float d = half(b, at + 80);
            float min = half(b, at + 82);
            int q = at + 16;
            int is = 0;
            for (int k = 0; k < 256; k += 128) {
                int shift = 0;
                for (int j = 0; j < 4; j++) {
                    int sc = u8(b, at + is++);
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) {
                        y[yi++] = dl * ((u8(b, q + l) >>> shift) & 3) - ml;
                    }
                    sc = u8(b, at + is++);
                    dl = d * (sc & 0xF);
                    ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) {
                        y[yi++] = dl * ((u8(b, q + l + 16) >>> shift) & 3) - ml;
                    }
                    shift += 2;
                }
                q += 32;
            }
        }
    }

    /** block_q3_K: hmask[32] @0, qs[64] @32, scales[12] @96, d @108. */
    private static void q3K(ByteBuffer b, int at, float[] y, int yi, int n) {
        final int kmask1 = 0x03030303;
        final int kmask2 = 0x0f0f0f0f;
        byte[] scales = new byte[16];
        for (int i = 0; i < n / 256; i++, at += 110) {
            float dAll = half(b, at + 108);
            int a0 = b.getInt(at + 96);
            int a1 = b.getInt(at + 100);
            int tmp = b.getInt(at + 104);
            int[] aux = {
                (a0 & kmask2) | (((tmp) & kmask1) << 4),
                (a1 & kmask2) | (((tmp >>> 2) & kmask1) << 4),
                ((a0 >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4),
                ((a1 >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4)
            };
            for (int k = 0; k < 16; k++) {
                scales[k] = (byte) (aux[k / 4] >>> (8 * (k % 4)));
            }
            int q = at + 32;
            int hm = at;
            int m = 1;
            int is = 0;
            for (int k = 0; k < 256; k += 128) {
                int shift = 0;
                for (int j = 0; j < 4; j++) {
                    float dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        int v = ((u8(b, q + l) >>> shift) & 3) - ((u8(b, hm + l) & m) != 0 ? 0 : 4);
                        y[yi++] = dl * v;
                    }
                    dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        int v =
                                ((u8(b, q + l + 16) >>> shift) & 3)
                                        - ((u8(b, hm + l + 16) & m) != 0 ? 0 : 4);
                        y[yi++] = dl * v;
                    }
                    shift += 2;
                    m <<= 1;
                }
                q += 32;
            }
        }
    }

    /** ggml's get_scale_min_k4: the 6-bit scale (low int) and min (high int) of sub-block j. */
    private static int scaleMinK4(int j, ByteBuffer b, int scales) {
        int d;
        int m;
        if (j < 4) {
            d = u8(b, scales + j) & 63;
            m = u8(b, scales + j + 4) & 63;
        } else {
            d = (u8(b, scales + j + 4) & 0xF) | ((u8(b, scales + j - 4) >>> 6) << 4);
            m = (u8(b, scales + j + 4) >>> 4) | ((u8(b, scales + j) >>> 6) << 4);
        }
        return d | (m << 8);
    }

    /** block_q4_K: d @0, dmin @2, scales[12] @4, qs[128] @16. */
    private static void q4K(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 256; i++, at += 144) {
            float d = half(b, at);
            float min = half(b, at + 2);
            int q = at + 16;
            int is = 0;
            for (int j = 0; j < 256; j += 64) {
                int sm = scaleMinK4(is, b, at + 4);
                float d1 = d * (sm & 0xFF);
                float m1 = min * (sm >>> 8);
                sm = scaleMinK4(is + 1, b, at + 4);
                float d2 = d * (sm & 0xFF);
                float m2 = min * (sm >>> 8);
                for (int l = 0; l < 32; l++) {
                    y[yi++] = d1 * (u8(b, q + l) & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    y[yi++] = d2 * (u8(b, q + l) >>> 4) - m2;
                }
                q += 32;
                is += 2;
            }
        }
    }

    /** block_q5_K: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48. */
    private static void q5K(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 256; i++, at += 176) {
            float d = half(b, at);
            float min = half(b, at + 2);
            int ql = at + 48;
            int qh = at + 16;
            int is = 0;
            int u1 = 1;
            int u2 = 2;
            for (int j = 0; j < 256; j += 64) {
                int sm = scaleMinK4(is, b, at + 4);
                float d1 = d * (sm & 0xFF);
                float m1 = min * (sm >>> 8);
                sm = scaleMinK4(is + 1, b, at + 4);
                float d2 = d * (sm & 0xFF);
                float m2 = min * (sm >>> 8);
                for (int l = 0; l < 32; l++) {
                    int v = (u8(b, ql + l) & 0xF) + ((u8(b, qh + l) & u1) != 0 ? 16 : 0);
                    y[yi++] = d1 * v - m1;
                }
                for (int l = 0; l < 32; l++) {
                    int v = (u8(b, ql + l) >>> 4) + ((u8(b, qh + l) & u2) != 0 ? 16 : 0);
                    y[yi++] = d2 * v - m2;
                }
                ql += 32;
                is += 2;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    /** block_q6_K: ql[128] @0, qh[64] @128, scales[16] (int8) @192, d @208. */
    private static void q6K(ByteBuffer b, int at, float[] y, int yi, int n) {
        for (int i = 0; i < n / 256; i++, at += 210) {
            float d = half(b, at + 208);
            int ql = at;
            int qh = at + 128;
            int sc = at + 192;
            for (int k = 0; k < 256; k += 128) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = u8(b, qh + l);
                    int q1 = ((u8(b, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((u8(b, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((u8(b, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((u8(b, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    y[yi + l] = d * b.get(sc + is) * q1;
                    y[yi + l + 32] = d * b.get(sc + is + 2) * q2;
                    y[yi + l + 64] = d * b.get(sc + is + 4) * q3;
                    y[yi + l + 96] = d * b.get(sc + is + 6) * q4;
                }
                yi += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }
}
