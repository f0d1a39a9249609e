package dev.lorahub;

import java.util.Arrays;
import java.util.Objects;

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

    /** Equal when index, value and every coordinate of the point are equal (NaN equals NaN). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Evaluation e
                && index == e.index
                && Double.compare(value, e.value) == 0
                && Arrays.equals(point, e.point);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, value, Arrays.hashCode(point));
    }

    @Override
    public String toString() {
        return "Evaluation[index="
                + index
                + ", point="
                + Arrays.toString(point)
                + ", value="
                + value
                + "]";
    }
}
