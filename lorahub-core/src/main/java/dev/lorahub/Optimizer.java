package dev.lorahub;

import java.util.function.ToDoubleFunction;

/**
 * A gradient-free minimizer for LoraHub's weight search: a few dozen evaluations of an expensive,
 * noisy objective in a box.
 *
 * <p>Every implementation: never evaluates more than {@code budget} times; never outside the box;
 * returns the best point actually evaluated; is deterministic for a given seed; treats NaN or
 * infinite values as worse than any finite value; lets an exception from the objective propagate
 * wrapped with the evaluation number and point.
 */
public interface Optimizer {
    /**
     * @param objective the function to minimize; called with a fresh array it may keep
     * @param space the box and the start point
     * @param budget the maximum number of objective evaluations, at least 1
     * @param seed the seed of every random choice
     * @return the best point evaluated, the history and the state
     */
    OptimizationResult minimize(
            ToDoubleFunction<double[]> objective, SearchSpace space, int budget, long seed);

    /**
     * @return the name {@link dev.lorahub.optim.Optimizers#byName(String)} knows it by
     */
    default String name() {
        return getClass().getSimpleName();
    }
}
