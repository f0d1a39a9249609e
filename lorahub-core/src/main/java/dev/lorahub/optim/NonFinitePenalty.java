package dev.lorahub.optim;

/**
 * Maps NaN and infinite objective values to a finite stand-in for algorithms that need numbers: the
 * worst finite value seen so far plus the spread of the finite values (at least 1), or {@code 1e6}
 * before any finite value.
 */
final class NonFinitePenalty {
    private double best = Double.POSITIVE_INFINITY;
    private double worst = Double.NEGATIVE_INFINITY;

    /**
     * @return {@code value} if finite (and remembers it), else the stand-in
     */
    double map(double value) {
        if (Double.isFinite(value)) {
            best = Math.min(best, value);
            worst = Math.max(worst, value);
            return value;
        }
        if (worst == Double.NEGATIVE_INFINITY) {
            return 1e6;
        }
        return worst + Math.max(1.0, worst - best);
    }
}
