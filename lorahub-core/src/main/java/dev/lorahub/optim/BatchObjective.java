package dev.lorahub.optim;

import java.util.List;

/**
 * An objective that evaluates several points at once, for a backend that can score several
 * candidate weight vectors in one batched forward pass.
 */
@FunctionalInterface
public interface BatchObjective {
    /**
     * @param points the points to evaluate; fresh arrays the objective may keep
     * @return one value per point, in order (NaN or infinite values are allowed and rank last)
     */
    double[] evaluate(List<double[]> points);
}
