package dev.lorahub.io;

import java.util.Optional;

/**
 * The element types of safetensors, in the reference implementation's declaration order. That order
 * matters: the reference writer sorts tensors by this order <em>descending</em> (which puts wider
 * types first, so every tensor stays aligned to its element size), then by name.
 *
 * <p>Names are case-sensitive on disk ({@code "F32"}, never {@code "f32"}).
 */
public enum DType {
    /** Boolean, one byte per element (0 or 1). */
    BOOL(1),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Signed 8-bit integer. */
    I8(1),
    /** 8-bit float, 5 exponent and 2 mantissa bits. */
    F8_E5M2(1),
    /** 8-bit float, 4 exponent and 3 mantissa bits. */
    F8_E4M3(1),
    /** Signed 16-bit integer. */
    I16(2),
    /** Unsigned 16-bit integer. */
    U16(2),
    /** IEEE 754 binary16 ("half"). */
    F16(2),
    /** bfloat16: the top 16 bits of an IEEE binary32. */
    BF16(2),
    /** Signed 32-bit integer. */
    I32(4),
    /** Unsigned 32-bit integer. */
    U32(4),
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary64. */
    F64(8),
    /** Signed 64-bit integer. */
    I64(8),
    /** Unsigned 64-bit integer. */
    U64(8);

    private static final DType[] VALUES = values();

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * @return bytes per element: 1, 2, 4 or 8
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * @return true for the types {@link SafetensorsReader#readFloat32} converts: F16, BF16, F32 and
     *     F64
     */
    public boolean isConvertibleToFloat32() {
        return this == F16 || this == BF16 || this == F32 || this == F64;
    }

    /**
     * @param name a dtype as written in a safetensors header, e.g. {@code "BF16"} (case-sensitive)
     * @return the type, or empty when the name is not one of the types above
     */
    public static Optional<DType> fromName(String name) {
        for (DType t : VALUES) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
