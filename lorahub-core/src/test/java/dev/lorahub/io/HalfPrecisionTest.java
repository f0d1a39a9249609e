package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * F16 and BF16 conversions against closed forms: every one of the 65,536 bit patterns decodes to
 * the value of its IEEE formula, round-trips, and every midpoint between neighbours rounds to the
 * even one (ties) while a float one ulp off the midpoint rounds to the nearer one.
 */
class HalfPrecisionTest {
    /** binary16 value by the IEEE formula, computed in double without bit tricks. */
    private static double halfFormula(int bits) {
        int sign = bits >>> 15;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        double magnitude;
        if (exp == 0) {
            magnitude = mant * Math.pow(2, -24);
        } else if (exp == 31) {
            magnitude = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            magnitude = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    /**
     * @return the float next to {@code from} in the direction of {@code to}
     */
    private static float toward(float from, float to) {
        return Math.nextAfter(from, to);
    }

    @Test
    void decodes_closed_form_half_values() {
        assertThat(Float16.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(Float16.toFloat((short) 0x03FF)).isEqualTo(1023 * 0x1p-24f);
        assertThat(Float16.toFloat((short) 0x0400)).isEqualTo(0x1p-14f);
        assertThat(Float16.toFloat((short) 0x3C00)).isEqualTo(1f);
        assertThat(Float16.toFloat((short) 0x3555)).isEqualTo(0.333251953125f);
        assertThat(Float16.toFloat((short) 0xC000)).isEqualTo(-2f);
        assertThat(Float16.toFloat((short) 0x7BFF)).isEqualTo(65504f).isEqualTo(Float16.MAX_VALUE);
        assertThat(Float16.toFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Float16.toFloat((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float16.toFloat((short) 0x7E00)).isNaN();
        assertThat(Float.floatToRawIntBits(Float16.toFloat((short) 0x8000)))
                .isEqualTo(Float.floatToRawIntBits(-0f));
    }

    @Test
    void every_half_decodes_to_its_formula_and_encodes_back_to_itself() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Float16.toFloat((short) bits);
            double expected = halfFormula(bits);
            if (Double.isNaN(expected)) {
                assertThat(f).as("0x%04x", bits).isNaN();
                assertThat(Float.isNaN(Float16.toFloat(Float16.fromFloat(f)))).isTrue();
                continue;
            }
            assertThat((double) f).as("0x%04x", bits).isEqualTo(expected);
            assertThat(Float16.fromFloat(f) & 0xFFFF).as("0x%04x", bits).isEqualTo(bits);
        }
    }

    @Test
    void the_reader_decodes_every_half_stored_in_a_file_to_its_formula() throws IOException {
        java.nio.ByteBuffer all = ByteBuffer.allocate(2 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 0x10000; bits++) {
            all.putShort((short) bits);
        }
        byte[] file =
                SafetensorsWriter.toBytes(
                        Map.of(),
                        List.of(
                                TensorData.ofRaw(
                                        "h", DType.F16, new long[] {1 << 16}, all.array())));
        float[] read =
                SafetensorsReader.parse(ByteBuffer.wrap(file), Path.of("h")).readFloat32("h");
        for (int bits = 0; bits < 0x10000; bits++) {
            double expected = halfFormula(bits);
            if (Double.isNaN(expected)) {
                assertThat(read[bits]).as("0x%04x", bits).isNaN();
            } else {
                assertThat((double) read[bits]).as("0x%04x", bits).isEqualTo(expected);
            }
        }
    }

    @Test
    void half_midpoints_round_to_even_and_near_midpoints_to_the_nearer_neighbour() {
        for (int sign : new int[] {0, 0x8000}) {
            for (int lo = 0; lo < 0x7C00; lo++) { // lo and lo + 1 are neighbours; 0x7C00 is inf
                float a = Float16.toFloat((short) (sign | lo));
                float b =
                        lo + 1 == 0x7C00
                                ? (sign == 0 ? 65536f : -65536f)
                                : Float16.toFloat((short) (sign | (lo + 1)));
                float mid = (a + b) / 2; // exact: 11 significant bits + 1 fit in a float
                int even = (lo & 1) == 0 ? lo : lo + 1;
                assertThat(Float16.fromFloat(mid) & 0xFFFF)
                        .as("mid 0x%04x", sign | lo)
                        .isEqualTo(sign | even);
                float below = toward(mid, a);
                float above = toward(mid, b);
                assertThat(Float16.fromFloat(below) & 0xFFFF).isEqualTo(sign | lo);
                assertThat(Float16.fromFloat(above) & 0xFFFF).isEqualTo(sign | (lo + 1));
            }
        }
    }

    @Test
    void half_encoding_saturates_to_infinity_and_flushes_tiny_values_to_zero() {
        assertThat(Float16.fromFloat(65519.996f) & 0xFFFF).isEqualTo(0x7BFF);
        assertThat(Float16.fromFloat(65520f) & 0xFFFF).isEqualTo(0x7C00);
        assertThat(Float16.fromFloat(1e10f) & 0xFFFF).isEqualTo(0x7C00);
        assertThat(Float16.fromFloat(-1e10f) & 0xFFFF).isEqualTo(0xFC00);
        assertThat(Float16.fromFloat(0x1p-25f) & 0xFFFF).isEqualTo(0x0000);
        assertThat(Float16.fromFloat(Math.nextUp(0x1p-25f)) & 0xFFFF).isEqualTo(0x0001);
        assertThat(Float16.fromFloat(-0x1p-26f) & 0xFFFF).isEqualTo(0x8000);
        assertThat(Float16.fromFloat(Float.MIN_VALUE) & 0xFFFF).isEqualTo(0x0000);
        assertThat(Float16.fromFloat(Float.NaN) & 0x7C00).isEqualTo(0x7C00);
        assertThat(Float16.fromFloat(Float.NaN) & 0x03FF).isNotZero();
        assertThat(Float16.fromFloat(Float.intBitsToFloat(0xFF800001)) & 0xFFFF)
                .as("signalling negative NaN stays a negative NaN")
                .isGreaterThan(0xFC00);
    }

    /** Independent RNE: the nearest of the two bracketing halves by exact double arithmetic. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void random_floats_round_to_the_nearest_half(long seed) {
        Random rnd = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            float x = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(50) - 30));
            int h = Float16.fromFloat(x) & 0xFFFF;
            double got = halfFormula(h);
            double ax = Math.abs(x);
            // neighbours of the result bracket x: the error is at most half a half-ulp
            double ulp = ax < 0x1p-14 ? 0x1p-24 : Math.ulp((float) got) * 0x1p13;
            if (Double.isInfinite(got)) {
                assertThat(ax).as("seed %d x=%s", seed, x).isGreaterThanOrEqualTo(65520.0);
            } else {
                assertThat(Math.abs(got - x))
                        .as("seed %d x=%s h=0x%04x", seed, x, h)
                        .isLessThanOrEqualTo(ulp / 2);
                assertThat(Math.signum(got) == Math.signum(x) || got == 0).isTrue();
            }
        }
    }

    @Test
    void every_bfloat16_encodes_back_to_itself() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = BFloat16.toFloat((short) bits);
            assertThat(Float.floatToRawIntBits(f)).isEqualTo(bits << 16);
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(f)))).isTrue();
            } else {
                assertThat(BFloat16.fromFloat(f) & 0xFFFF).as("0x%04x", bits).isEqualTo(bits);
            }
        }
    }

    @Test
    void bfloat16_midpoints_round_to_even_and_near_midpoints_to_the_nearer_neighbour() {
        for (int sign : new int[] {0, 0x8000}) {
            for (int lo = 0; lo < 0x7F7F; lo++) {
                float a = BFloat16.toFloat((short) (sign | lo));
                float b = BFloat16.toFloat((short) (sign | (lo + 1)));
                float mid = Float.intBitsToFloat(((sign | lo) << 16) | 0x8000); // exact midpoint
                assertThat((double) mid).isEqualTo(((double) a + b) / 2);
                int even = (lo & 1) == 0 ? lo : lo + 1;
                assertThat(BFloat16.fromFloat(mid) & 0xFFFF).isEqualTo(sign | even);
                assertThat(BFloat16.fromFloat(toward(mid, a)) & 0xFFFF).isEqualTo(sign | lo);
                assertThat(BFloat16.fromFloat(toward(mid, b)) & 0xFFFF).isEqualTo(sign | (lo + 1));
            }
        }
    }

    @Test
    void bfloat16_encoding_overflows_to_infinity_and_keeps_nan() {
        assertThat(BFloat16.fromFloat(Float.MAX_VALUE) & 0xFFFF).isEqualTo(0x7F80);
        assertThat(BFloat16.fromFloat(-Float.MAX_VALUE) & 0xFFFF).isEqualTo(0xFF80);
        assertThat(BFloat16.fromFloat(Float.POSITIVE_INFINITY) & 0xFFFF).isEqualTo(0x7F80);
        assertThat(BFloat16.fromFloat(1f) & 0xFFFF).isEqualTo(0x3F80);
        assertThat(BFloat16.fromFloat(Float.NaN) & 0xFFFF).isEqualTo(0x7FC0);
        assertThat(BFloat16.fromFloat(Float.intBitsToFloat(0x7F800001)))
                .as("sNaN stays NaN")
                .satisfies(b -> assertThat(BFloat16.toFloat(b)).isNaN());
    }
}
