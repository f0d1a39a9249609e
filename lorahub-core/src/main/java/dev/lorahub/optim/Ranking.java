package dev.lorahub.optim;

import dev.lorahub.Evaluation;

/** The order of objective values: finite values ascending, then every NaN or infinite value. */
final class Ranking {
    private Ranking() {}

    /**
     * @return true if {@code a} is strictly better than {@code b}
     */
    static boolean better(double a, double b) {
        boolean fa = Double.isFinite(a);
        boolean fb = Double.isFinite(b);
        if (fa != fb) {
            return fa;
        }
        return fa && a < b;
    }

    /**
     * @return true if {@code a}'s value is strictly better than {@code b}'s
     */
    static boolean better(Evaluation a, Evaluation b) {
        return better(a.value(), b.value());
    }

    /**
     * @return a total order key: finite values as they are, the rest as +infinity
     */
    static double key(double value) {
        return Double.isFinite(value) ? value : Double.POSITIVE_INFINITY;
    }
}
