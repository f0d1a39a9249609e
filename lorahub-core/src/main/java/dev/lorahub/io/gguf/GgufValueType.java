package dev.lorahub.io.gguf;

import java.util.Optional;

/**
 * The value types of GGUF metadata ({@code enum gguf_type} of ggml's {@code gguf.h}), with the Java
 * type {@link GgufFile#metadata()} gives each: integers of every width as {@link Long} ({@code
 * UINT64} above {@code 2^63 - 1} wraps to a negative long), floats as {@link Double}, {@code BOOL}
 * as {@link Boolean}, {@code STRING} as {@link String}, {@code ARRAY} as a {@link java.util.List}
 * of one element type.
 */
public enum GgufValueType {
    /** u8. */
    UINT8(1),
    /** i8. */
    INT8(1),
    /** u16. */
    UINT16(2),
    /** i16. */
    INT16(2),
    /** u32. */
    UINT32(4),
    /** i32. */
    INT32(4),
    /** f32. */
    FLOAT32(4),
    /** One byte, 0 is false. */
    BOOL(1),
    /** u64 length, then UTF-8 bytes (no terminator). */
    STRING(8),
    /** u32 element type, u64 count, elements. */
    ARRAY(12),
    /** u64. */
    UINT64(8),
    /** i64. */
    INT64(8),
    /** f64. */
    FLOAT64(8);

    private static final GgufValueType[] VALUES = values();

    private final int minBytes;

    GgufValueType(int minBytes) {
        this.minBytes = minBytes;
    }

    /**
     * @return the type's id in the file (its ordinal)
     */
    public int id() {
        return ordinal();
    }

    /**
     * @return the fewest bytes one value of this type takes in a file
     */
    int minBytes() {
        return minBytes;
    }

    /**
     * @param id a type id read from a file
     * @return the type, or empty for an unknown id
     */
    public static Optional<GgufValueType> ofId(long id) {
        return id >= 0 && id < VALUES.length ? Optional.of(VALUES[(int) id]) : Optional.empty();
    }
}
