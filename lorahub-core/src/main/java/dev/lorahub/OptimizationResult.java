package dev.lorahub;

import java.util.List;

/**
 * What an optimizer found.
 *
 * @param bestPoint the best point evaluated
 * @param bestValue its value
 * @param evaluations the number of objective evaluations made
 * @param history every evaluation in order
 * @param state how the run ended
 */
public record OptimizationResult(
        double[] bestPoint,
        double bestValue,
        int evaluations,
        List<Evaluation> history,
        State state) {
    /** How a run ended. */
    public enum State {
        /** The optimizer met its own stopping criterion within the budget. */
        CONVERGED,
        /** The budget was used up. */
        BUDGET_EXHAUSTED,
        /** No finite value was ever found. */
        FAILED
    }

    /** Copies. */
    public OptimizationResult {
        bestPoint = bestPoint.clone();
        history = List.copyOf(history);
    }

    @Override
    public double[] bestPoint() {
        return bestPoint.clone();
    }
}
