package dev.lorahub.djl.train;

/** Progress of a training run, for a progress bar or a log. */
@FunctionalInterface
public interface TrainingListener {
    /** A listener that ignores everything. */
    TrainingListener NONE = (step, totalSteps, loss) -> {};

    /**
     * Called after every optimizer step.
     *
     * @param step 1-based step number
     * @param totalSteps the number of steps of the run
     * @param loss the batch's mean cross-entropy before the step
     */
    void onStep(int step, int totalSteps, double loss);
}
