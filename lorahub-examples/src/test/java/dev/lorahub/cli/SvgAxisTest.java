package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class SvgAxisTest {

    static LongStream seeds() {
        return LongStream.range(0, 300);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void the_axis_covers_the_range_with_few_nice_ticks(long seed) {
        Random rnd = new Random(seed);
        double scale = Math.pow(10, rnd.nextInt(13) - 6);
        double a = (rnd.nextDouble() * 2 - 1) * scale;
        double b = rnd.nextInt(5) == 0 ? a : a + rnd.nextDouble() * scale;
        SvgAxis axis = SvgAxis.covering(a, b, 5);
        String why = "seed " + seed + ": range [" + a + ", " + b + "] -> " + axis;
        assertThat(axis.min()).as(why).isLessThanOrEqualTo(a);
        assertThat(axis.max()).as(why).isGreaterThanOrEqualTo(b);
        double mantissa = axis.step() / Math.pow(10, Math.floor(Math.log10(axis.step()) + 1e-12));
        assertThat(List.of(1.0, 2.0, 2.5, 5.0))
                .as(why)
                .anySatisfy(
                        m ->
                                assertThat(mantissa)
                                        .isCloseTo(m, org.assertj.core.data.Offset.offset(1e-9)));
        assertThat(axis.ticks().size()).as(why).isBetween(2, 12);
        // the axis is not much wider than needed: at most one step of slack each side
        double span = Math.max(b - a, Math.abs(a) * 0.2);
        assertThat(axis.max() - axis.min())
                .as(why)
                .isLessThanOrEqualTo(span + 2 * axis.step() + 1e-12);
    }

    @ParameterizedTest
    @CsvSource({
        "0, 1, 0.2, 0, 1",
        "0, 0.83, 0.2, 0, 1",
        "-3, 7, 2, -4, 8",
        "0, 1000, 200, 0, 1000",
        "0, 11, 2.5, 0, 12.5",
    })
    void known_ranges_get_the_expected_step(
            double lo, double hi, double step, double min, double max) {
        SvgAxis axis = SvgAxis.covering(lo, hi, 5);
        assertThat(axis.step()).isEqualTo(step, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(axis.min()).isEqualTo(min, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(axis.max()).isEqualTo(max, org.assertj.core.data.Offset.offset(1e-12));
    }

    @ParameterizedTest
    @CsvSource({
        "0.2, 0.4, 0.4",
        "200, 1000, 1000",
        "2.5, 5, 5",
        "2.5, 7.5, 7.5",
        "0.25, 0.75, 0.75",
        "1, -0.0, 0"
    })
    void tick_labels_show_only_the_digits_the_step_needs(double step, double v, String label) {
        SvgAxis axis = new SvgAxis(-step * 10, step * 10, step);
        assertThat(axis.label(v)).isEqualTo(label);
    }
}
