package dev.lorahub.io;

/**
 * IEEE 754 binary16 ("half", safetensors {@code F16}) to and from binary32, bit-exact.
 *
 * <p>Half to float is exact for every input: normals, subnormals ({@code m * 2^-24}), signed zeros,
 * infinities and NaN (payload kept in the top mantissa bits). Float to half rounds to nearest, ties
 * to even, overflows to infinity above 65504 (from 65520 on) and flushes to signed zero below
 * {@code 2^-25}; NaN stays NaN (quiet, top payload bits kept).
 */
public final class Float16 {
    /** Largest finite half, 65504. */
    public static final float MAX_VALUE = 65504f;

    /** Smallest positive subnormal half, {@code 2^-24}. */
    public static final float MIN_VALUE = 0x1p-24f;

    private Float16() {}

    /**
     * @param half the 16 bits of a binary16 value
     * @return the same value as a float (exact)
     */
    public static float toFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // exact: mant < 2^10
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * @param value any float
     * @return its binary16 bits, rounded to nearest even
     */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7F_FFFF;
        if (exp == 0xFF) {
            return (short) (mant == 0 ? sign | 0x7C00 : sign | 0x7E00 | (mant >>> 13));
        }
        int e = exp - 112; // half's biased exponent
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // below 2^-25: rounds to zero
            }
            // subnormal half: round (1.mant * 2^(exp-127)) / 2^-24 to an integer
            int m = mant | 0x80_0000;
            int shift = 14 - e;
            int h = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (h & 1) != 0)) {
                h++; // may carry into the smallest normal, which is the right encoding
            }
            return (short) (sign | h);
        }
        int h = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++; // may carry into the exponent, up to infinity: the right encoding
        }
        return (short) (sign | h);
    }
}
