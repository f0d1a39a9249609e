package dev.lorahub;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

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
        /** The whole budget was spent: the normal end of a fixed-budget search. */
        COMPLETED,
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

    /** Equal when every component is, the best point compared by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof OptimizationResult r
                && Arrays.equals(bestPoint, r.bestPoint)
                && Double.compare(bestValue, r.bestValue) == 0
                && evaluations == r.evaluations
                && history.equals(r.history)
                && state == r.state;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(bestPoint), bestValue, evaluations, history, state);
    }

    @Override
    public String toString() {
        return "OptimizationResult[bestPoint="
                + Arrays.toString(bestPoint)
                + ", bestValue="
                + bestValue
                + ", evaluations="
                + evaluations
                + ", state="
                + state
                + ", history="
                + history
                + "]";
    }
}
