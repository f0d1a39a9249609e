package dev.lorahub;

import java.util.Arrays;

/**
 * A box {@code [lower, upper]^dimension} and a start point inside it.
 *
 * @param lower per-coordinate lower bounds
 * @param upper per-coordinate upper bounds
 * @param start the start point
 */
public record SearchSpace(double[] lower, double[] upper, double[] start) {
    /** Validates and copies. */
    public SearchSpace {
        if (lower.length == 0 || lower.length != upper.length || lower.length != start.length) {
            throw new IllegalArgumentException(
                    "lower, upper and start must have one equal, positive length, got "
                            + lower.length
                            + ", "
                            + upper.length
                            + ", "
                            + start.length);
        }
        lower = lower.clone();
        upper = upper.clone();
        start = start.clone();
        for (int i = 0; i < lower.length; i++) {
            if (!(lower[i] < upper[i]) || !(start[i] >= lower[i] && start[i] <= upper[i])) {
                throw new IllegalArgumentException(
                        "coordinate "
                                + i
                                + ": need lower < upper and start inside, got ["
                                + lower[i]
                                + ", "
                                + upper[i]
                                + "] start "
                                + start[i]);
            }
        }
    }

    /**
     * @param dimension the number of coordinates
     * @param lower the lower bound of each
     * @param upper the upper bound of each
     * @param start the start point
     * @return the box
     */
    public static SearchSpace box(int dimension, double lower, double upper, double[] start) {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
        }
        if (start.length != dimension) {
            throw new IllegalArgumentException(
                    "start has " + start.length + " coordinates, dimension is " + dimension);
        }
        double[] lo = new double[dimension];
        double[] hi = new double[dimension];
        Arrays.fill(lo, lower);
        Arrays.fill(hi, upper);
        return new SearchSpace(lo, hi, start);
    }

    /**
     * @return the number of coordinates
     */
    public int dimension() {
        return lower.length;
    }

    @Override
    public double[] lower() {
        return lower.clone();
    }

    @Override
    public double[] upper() {
        return upper.clone();
    }

    @Override
    public double[] start() {
        return start.clone();
    }

    /** Equal when the bounds and start are equal coordinate by coordinate. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SearchSpace s
                && Arrays.equals(lower, s.lower)
                && Arrays.equals(upper, s.upper)
                && Arrays.equals(start, s.start);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(lower) + Arrays.hashCode(upper)) + Arrays.hashCode(start);
    }

    @Override
    public String toString() {
        return "SearchSpace[lower="
                + Arrays.toString(lower)
                + ", upper="
                + Arrays.toString(upper)
                + ", start="
                + Arrays.toString(start)
                + "]";
    }
}
