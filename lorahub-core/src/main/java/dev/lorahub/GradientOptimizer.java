package dev.lorahub;

import dev.lorahub.optim.GradientObjective;

/**
 * A minimizer that uses the gradient of the objective: LoraHub's weight search when the base model
 * gives gradients ({@link dev.lorahub.spi.DifferentiableModel}) and composition is exact ({@link
 * MergeStrategy#CAT}). Beyond the paper, which is gradient-free.
 *
 * <p>Cost is counted in forward-equivalents: one evaluation of value and gradient is a forward and
 * a backward pass, {@value #COST_PER_STEP} forward-equivalents (a backward costs about two
 * forwards). The budget is in the same unit. Every implementation: never spends more than the
 * budget; never evaluates outside the box; returns the best point evaluated; is deterministic for a
 * seed; treats non-finite values as worse than any finite one.
 */
public interface GradientOptimizer {
    /** Forward-equivalents of one value-and-gradient evaluation: a forward and a backward. */
    int COST_PER_STEP = 3;

    /**
     * @param objective value and gradient; called with a fresh array it may keep
     * @param space the box and the start point
     * @param budget the maximum cost in forward-equivalents, at least {@value #COST_PER_STEP}
     * @param seed the seed of every random choice
     * @return the best point evaluated (one history entry per step), and the state
     * @throws IllegalArgumentException if the budget is below one step
     */
    OptimizationResult minimize(
            GradientObjective objective, SearchSpace space, int budget, long seed);

    /**
     * @param budget a budget in forward-equivalents
     * @return the most evaluations a run with that budget makes, what a progress bar counts to; by
     *     default one value-and-gradient evaluation per {@value #COST_PER_STEP}
     */
    default int maxEvaluations(int budget) {
        return budget / COST_PER_STEP;
    }

    /**
     * @return the name {@link dev.lorahub.optim.Optimizers#gradientByName(String)} knows it by
     */
    String name();
}
