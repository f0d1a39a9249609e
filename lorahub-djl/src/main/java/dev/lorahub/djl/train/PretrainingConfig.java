package dev.lorahub.djl.train;

/**
 * How {@link Pretrainer} trains a base model.
 *
 * @param steps optimizer steps, at least 1
 * @param learningRate peak Adam step size, &gt; 0
 * @param warmupSteps linear warm-up from 0 to the peak, then cosine decay to 10% of the peak
 * @param clipNorm global gradient-norm clipping, 0 for none
 */
public record PretrainingConfig(int steps, double learningRate, int warmupSteps, double clipNorm) {
    /** Validates every field. */
    public PretrainingConfig {
        if (steps < 1 || warmupSteps < 0 || !(learningRate > 0) || !(clipNorm >= 0)) {
            throw new IllegalArgumentException(
                    "need steps >= 1, warmupSteps >= 0, learningRate > 0, clipNorm >= 0, got "
                            + steps
                            + ", "
                            + warmupSteps
                            + ", "
                            + learningRate
                            + ", "
                            + clipNorm);
        }
    }

    /**
     * @param step 1-based step
     * @return the learning rate at that step
     */
    public double learningRateAt(int step) {
        if (step <= warmupSteps) {
            return learningRate * step / Math.max(1, warmupSteps);
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
        return learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
