package dev.lorahub;

/**
 * One objective evaluation.
 *
 * @param index 1-based evaluation number
 * @param point the point evaluated
 * @param value the objective value (may be NaN or infinite as returned)
 */
public record Evaluation(int index, double[] point, double value) {
    /** Copies the point. */
    public Evaluation {
        point = point.clone();
    }

    @Override
    public double[] point() {
        return point.clone();
    }
}
