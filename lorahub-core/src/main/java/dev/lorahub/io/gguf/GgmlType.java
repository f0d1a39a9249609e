package dev.lorahub.io.gguf;

import java.util.Optional;

/**
 * The ggml tensor types a GGUF file can hold, with ggml's ids, block sizes and block byte sizes
 * ({@code ggml.h} {@code enum ggml_type}, {@code ggml.c} {@code type_traits}). The ids absent here
 * (4, 5: Q4_2, Q4_3; 31 to 33: the ARM-repacked Q4_0_4_4, Q4_0_4_8, Q4_0_8_8; 36 to 38: the
 * repacked IQ4_NL_4_4, ...) are types ggml removed; ggml refuses them in files, as this reader
 * does, naming them. Ids 40 to 42 (NVFP4, Q1_0, Q2_0) are ggml's newest types (ggml.h of
 * llama.cpp, 2026).
 *
 * <p>{@link #isDecodable()} types are converted to float32 bit-exactly as ggml's {@code to_float}
 * does ({@code dequantize_row_*} of {@code ggml-quants.c}); the others are parsed (so a file that
 * holds one is still readable) but refused when their values are read.
 */
public enum GgmlType {
    /** IEEE binary32. */
    F32(0, 1, 4, true),
    /** IEEE binary16. */
    F16(1, 1, 2, true),
    /** Blocks of 32: f16 d, 16 bytes of nibbles; {@code x = (q - 8) * d}. */
    Q4_0(2, 32, 18, true),
    /** Blocks of 32: f16 d, f16 m, 16 bytes of nibbles; {@code x = q * d + m}. */
    Q4_1(3, 32, 20, true),
    /** Blocks of 32: f16 d, 4 bytes of 5th bits, 16 bytes of nibbles; {@code x = (q - 16) * d}. */
    Q5_0(6, 32, 22, true),
    /** Blocks of 32: f16 d, f16 m, 4 bytes of 5th bits, 16 bytes of nibbles; {@code x = q*d + m}. */
    Q5_1(7, 32, 24, true),
    /** Blocks of 32: f16 d, 32 int8; {@code x = q * d}. */
    Q8_0(8, 32, 34, true),
    /** Blocks of 32: f16 d, f16 s, 32 int8 (an intermediate type of dot products). */
    Q8_1(9, 32, 36, false),
    /**
     * Super-blocks of 256 (16 of 16): 16 bytes of 4-bit scale and min, 64 bytes of 2-bit quants, f16
     * d, f16 dmin; {@code x = d*sc*q - dmin*m}.
     */
    Q2_K(10, 256, 84, true),
    /**
     * Super-blocks of 256 (16 of 16): 32 bytes of high bits, 64 bytes of 2-bit quants, 12 bytes of
     * 6-bit scales, f16 d; {@code x = d*(sc-32)*(q-4*!h)}.
     */
    Q3_K(11, 256, 110, true),
    /**
     * Super-blocks of 256 (8 of 32): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes
     * of nibbles; {@code x = d*sc*q - dmin*m}.
     */
    Q4_K(12, 256, 144, true),
    /**
     * Super-blocks of 256 (8 of 32): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 32 bytes of
     * 5th bits, 128 bytes of nibbles; {@code x = d*sc*q - dmin*m}.
     */
    Q5_K(13, 256, 176, true),
    /**
     * Super-blocks of 256 (16 of 16): 128 bytes of low nibbles, 64 bytes of high 2 bits, 16 int8
     * scales, f16 d; {@code x = d*sc*(q-32)}.
     */
    Q6_K(14, 256, 210, true),
    /** Super-blocks of 256: f32 d, 256 int8, 16 int16 sums (an intermediate type). */
    Q8_K(15, 256, 292, false),
    /** Importance-matrix 2-bit type. */
    IQ2_XXS(16, 256, 66, false),
    /** Importance-matrix 2-bit type. */
    IQ2_XS(17, 256, 74, false),
    /** Importance-matrix 3-bit type. */
    IQ3_XXS(18, 256, 98, false),
    /** Importance-matrix 1-bit type. */
    IQ1_S(19, 256, 50, false),
    /**
     * Non-linear 4-bit type, blocks of 32: f16 d, 16 bytes of nibbles indexing ggml's 16 levels
     * {@code kvalues_iq4nl} (-127 to 113); {@code x = d*kvalues[q]}.
     */
    IQ4_NL(20, 32, 18, true),
    /** Importance-matrix 3-bit type. */
    IQ3_S(21, 256, 110, false),
    /** Importance-matrix 2-bit type. */
    IQ2_S(22, 256, 82, false),
    /**
     * Non-linear 4-bit type, super-blocks of 256 (8 of 32): f16 d, 16 bits of high scale bits, 4
     * bytes of low scale nibbles, 128 bytes of nibbles indexing {@code kvalues_iq4nl}; {@code
     * x = d*(sc-32)*kvalues[q]} with 6-bit sc.
     */
    IQ4_XS(23, 256, 136, true),
    /** int8. */
    I8(24, 1, 1, false),
    /** int16. */
    I16(25, 1, 2, false),
    /** int32. */
    I32(26, 1, 4, false),
    /** int64. */
    I64(27, 1, 8, false),
    /** IEEE binary64. */
    F64(28, 1, 8, false),
    /** Importance-matrix 1-bit type. */
    IQ1_M(29, 256, 56, false),
    /** bfloat16, the top half of a binary32. */
    BF16(30, 1, 2, true),
    /** Ternary type. */
    TQ1_0(34, 256, 54, false),
    /** Ternary type. */
    TQ2_0(35, 256, 66, false),
    /** Microscaling 4-bit float, blocks of 32. */
    MXFP4(39, 32, 17, false),
    /** NVIDIA FP4: 4 UE4M3 sub-block scales and 32 bytes of E2M1 codes per 64 elements. */
    NVFP4(40, 64, 36, false),
    /** 1-bit: an f16 scale and 16 bytes of signs per 128 elements. */
    Q1_0(41, 128, 18, false),
    /** 2-bit: an f16 scale and 16 bytes of 2-bit codes per 64 elements. */
    Q2_0(42, 64, 18, false);

    private static final GgmlType[] BY_ID = new GgmlType[43];

    /** The ids ggml removed, by name: ggml refuses them in files (ggml.h comments them out). */
    private static final java.util.Map<Integer, String> REMOVED =
            java.util.Map.of(
                    4, "Q4_2",
                    5, "Q4_3",
                    31, "Q4_0_4_4",
                    32, "Q4_0_4_8",
                    33, "Q4_0_8_8",
                    36, "IQ4_NL_4_4",
                    37, "IQ4_NL_4_8",
                    38, "IQ4_NL_8_8");

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean decodable;

    GgmlType(int id, int blockSize, int typeSize, boolean decodable) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.decodable = decodable;
    }

    /**
     * @return ggml's type id, as stored in GGUF tensor infos
     */
    public int id() {
        return id;
    }

    /**
     * @return elements per block (1 for plain types, 32 or 256 for quantized ones)
     */
    public int blockSize() {
        return blockSize;
    }

    /**
     * @return bytes per block
     */
    public int typeSize() {
        return typeSize;
    }

    /**
     * @return true if {@link GgufFile#readFloats} converts this type to float32
     */
    public boolean isDecodable() {
        return decodable;
    }

    /**
     * @param numel a number of elements, a multiple of {@link #blockSize()}
     * @return the bytes they take, or -1 if that overflows a long
     */
    public long byteLength(long numel) {
        long blocks = numel / blockSize;
        return blocks > Long.MAX_VALUE / typeSize ? -1 : blocks * typeSize;
    }

    /**
     * @param id a ggml type id
     * @return the type, or empty for ids ggml does not define or has removed
     */
    public static Optional<GgmlType> ofId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[(int) id]) : Optional.empty();
    }

    /**
     * @param id a ggml type id that {@link #ofId} does not know
     * @return why it is refused, for messages: the name of a removed type, or that ggml (as of
     *     this reader) does not define it
     */
    static String unknownIdReason(long id) {
        String removed = id >= 0 && id < 64 ? REMOVED.get((int) id) : null;
        if (removed != null) {
            return removed
                    + ", removed from ggml: llama.cpp no longer reads it either; quantize the model"
                    + " again with a current llama-quantize";
        }
        return "not a type ggml defines (0 to 42, without 4, 5, 31 to 33 and 36 to 38)";
    }

    /**
     * @return the decodable types, for messages
     */
    static String decodableNames() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : values()) {
            if (t.decodable) {
                sb.append(sb.length() == 0 ? "" : ", ").append(t.name());
            }
        }
        return sb.toString();
    }
}
