package dev.lorahub;

import java.util.List;

/**
 * Progress of a LoraHub run, one call per objective evaluation, on the thread that runs it. A CLI
 * draws a progress bar from it, a server streams it. Exceptions thrown here abort the run.
 */
@FunctionalInterface
public interface LoraHubListener {
    /** A listener that ignores everything. */
    LoraHubListener NONE = point -> {};

    /**
     * Called once the modules are selected, before the first evaluation.
     *
     * @param moduleNames the selected modules, in the order of the weights
     * @param budget the maximum number of evaluations (for a {@link GradientOptimizer}, {@link
     *     GradientOptimizer#maxEvaluations(int)} of the budget in forward-equivalents: for adam,
     *     the budget divided by {@value GradientOptimizer#COST_PER_STEP})
     */
    default void onStart(List<String> moduleNames, int budget) {}

    /**
     * Called after every evaluation.
     *
     * @param point the evaluation: index, weights, loss, score, best score so far, elapsed time
     */
    void onEvaluation(TracePoint point);

    /**
     * Called once with the result, after the last evaluation.
     *
     * @param result the result
     */
    default void onFinish(LoraHubResult result) {}
}
