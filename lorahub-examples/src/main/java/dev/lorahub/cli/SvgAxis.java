package dev.lorahub.cli;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A linear axis with "nice" ticks (1, 2, 2.5 or 5 times a power of ten) covering a data range, as
 * {@link SvgPlot} draws it.
 *
 * @param min the axis start, a multiple of {@code step}, at most the data minimum
 * @param max the axis end, a multiple of {@code step}, at least the data maximum
 * @param step the distance between ticks, positive
 */
record SvgAxis(double min, double max, double step) {
    /** Validates. */
    SvgAxis {
        if (!(step > 0) || !(max > min) || !Double.isFinite(min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException(
                    "axis needs finite min < max and step > 0, got min="
                            + min
                            + " max="
                            + max
                            + " step="
                            + step);
        }
    }

    /**
     * @param lo the smallest data value (finite)
     * @param hi the largest data value (finite, >= lo)
     * @param targetTicks about how many intervals to show, >= 1
     * @return the tightest nice axis containing [lo, hi]; a degenerate range is widened around it
     */
    static SvgAxis covering(double lo, double hi, int targetTicks) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || hi < lo) {
            throw new IllegalArgumentException(
                    "axis range must be finite with lo <= hi, got lo=" + lo + " hi=" + hi);
        }
        if (hi == lo) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double step = niceStep((hi - lo) / Math.max(1, targetTicks));
        double min = Math.floor(lo / step + 1e-9) * step;
        double max = Math.ceil(hi / step - 1e-9) * step;
        if (max <= min) {
            max = min + step;
        }
        return new SvgAxis(min, max, step);
    }

    /**
     * @return the smallest of 1, 2, 2.5, 5 (times a power of ten) that is >= raw
     */
    static double niceStep(double raw) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * magnitude >= raw * (1 - 1e-9)) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    /**
     * @return the tick values from min to max inclusive
     */
    List<Double> ticks() {
        List<Double> ticks = new ArrayList<>();
        long n = Math.round((max - min) / step);
        for (long i = 0; i <= n; i++) {
            ticks.add(min + i * step);
        }
        return ticks;
    }

    /**
     * @return where v lies on the axis: 0 at min, 1 at max
     */
    double fraction(double v) {
        return (v - min) / (max - min);
    }

    /**
     * @return a tick label with just the decimals the step needs ("0.25", "1500", "-2")
     */
    String label(double v) {
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        if (step * Math.pow(10, decimals) % 1 > 1e-6) {
            decimals++; // 2.5 x 10^k needs one more digit
        }
        BigDecimal d = BigDecimal.valueOf(v).setScale(decimals, java.math.RoundingMode.HALF_UP);
        String s = d.stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    /**
     * @return a compact value label, 4 significant digits, for bar tops and tooltips
     */
    static String value(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e6 || a < 1e-3) {
            return String.format(Locale.ROOT, "%.3g", v);
        }
        BigDecimal d = new BigDecimal(v).round(new java.math.MathContext(4));
        return d.stripTrailingZeros().toPlainString();
    }
}
