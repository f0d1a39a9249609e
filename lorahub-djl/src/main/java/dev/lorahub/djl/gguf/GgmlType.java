package dev.lorahub.djl.gguf;

import dev.lorahub.djl.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** The ggml tensor types this reader converts to float32. */
public enum GgmlType {
    /** IEEE binary32. */
    F32(0),
    /** IEEE binary16. */
    F16(1),
    /**
     * Blocks of 32: an F16 scale {@code d}, then 16 bytes whose low nibbles are elements 0..15 and
     * high nibbles elements 16..31; value = {@code d * (nibble - 8)}.
     */
    Q4_0(2),
    /**
     * As {@link #Q4_0} with an F16 minimum {@code m} after {@code d}; value = {@code d * nibble +
     * m}.
     */
    Q4_1(3),
    /** Blocks of 32: an F16 scale {@code d} then 32 int8 {@code q}; value = {@code d * q}. */
    Q8_0(8),
    /** bfloat16, the top half of a binary32. */
    BF16(30);

    private final int id;

    GgmlType(int id) {
        this.id = id;
    }

    /**
     * @return the ggml type id
     */
    public int id() {
        return id;
    }

    static GgmlType of(int id, Path file, String tensor) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new ModelFormatException(
                file,
                "tensor '"
                        + tensor
                        + "' has ggml type "
                        + id
                        + ", supported: F32 (0), F16 (1), Q4_0 (2), Q4_1 (3), Q8_0 (8), BF16 (30)");
    }

    long byteLength(long numel) {
        return switch (this) {
            case F32 -> numel * 4;
            case F16, BF16 -> numel * 2;
            case Q4_0 -> (numel + 31) / 32 * 18;
            case Q4_1 -> (numel + 31) / 32 * 20;
            case Q8_0 -> (numel + 31) / 32 * 34;
        };
    }

    float[] decode(ByteBuffer b, int numel) {
        float[] out = new float[numel];
        switch (this) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < numel; i++) {
                    out[i] = halfToFloat(b.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < numel; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
                }
            }
            case Q4_0, Q4_1 -> {
                int blockBytes = this == Q4_0 ? 18 : 20;
                for (int block = 0; block * 32 < numel; block++) {
                    int off = block * blockBytes;
                    float d = halfToFloat(b.getShort(off));
                    float min = this == Q4_0 ? 0 : halfToFloat(b.getShort(off + 2));
                    int shift = this == Q4_0 ? 8 : 0;
                    int qs = off + blockBytes - 16;
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(qs + j) & 0xff;
                        // as ggml's dequantize_row_q4_0/1: (q - 8) * d, or q * d + m
                        if (block * 32 + j < numel) {
                            out[block * 32 + j] = ((q & 0x0f) - shift) * d + min;
                        }
                        if (block * 32 + j + 16 < numel) {
                            out[block * 32 + j + 16] = ((q >>> 4) - shift) * d + min;
                        }
                    }
                }
            }
            case Q8_0 -> {
                for (int block = 0; block * 32 < numel; block++) {
                    int off = block * 34;
                    float d = halfToFloat(b.getShort(off));
                    for (int j = 0; j < 32 && block * 32 + j < numel; j++) {
                        out[block * 32 + j] = d * b.get(off + 2 + j);
                    }
                }
            }
        }
        return out;
    }

    /**
     * @param h IEEE binary16 bits
     * @return the exact float32 value
     */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
