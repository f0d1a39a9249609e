package dev.lorahub.io;

/**
 * bfloat16 (safetensors {@code BF16}): the top 16 bits of an IEEE binary32.
 *
 * <p>bfloat16 to float is exact (the low 16 bits become zero). Float to bfloat16 rounds to nearest,
 * ties to even, overflowing to infinity like binary32 rounding would; NaN stays NaN (quiet bit set,
 * sign and top payload bits kept), as torch does.
 */
public final class BFloat16 {
    private BFloat16() {}

    /**
     * @param bf16 the 16 bits of a bfloat16 value
     * @return the same value as a float (exact)
     */
    public static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    /**
     * @param value any float
     * @return its bfloat16 bits, rounded to nearest even
     */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
