package dev.lorahub.optim;

import dev.lorahub.Evaluation;

/**
 * Progress of a run, one call per objective evaluation, in evaluation order. A CLI draws a progress
 * bar from it, a server streams it. Called on the thread that runs the optimizer; keep it cheap.
 */
@FunctionalInterface
public interface OptimizationListener {
    /** A listener that ignores everything. */
    OptimizationListener NONE = (evaluation, best, budget) -> {};

    /**
     * @param evaluation the evaluation just made ({@code evaluation.index()} runs 1..budget)
     * @param best the best evaluation so far, including this one
     * @param budget the run's budget
     */
    void evaluated(Evaluation evaluation, Evaluation best, int budget);
}
