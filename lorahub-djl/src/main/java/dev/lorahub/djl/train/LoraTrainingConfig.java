package dev.lorahub.djl.train;

import java.util.List;

/**
 * How {@link LoraTrainer} trains a module.
 *
 * @param rank r, at least 1
 * @param alpha lora_alpha; the scaling is {@code alpha / r}
 * @param targetModules module-name suffixes to target, e.g. {@code [q_proj, v_proj]}
 * @param dropout LoRA dropout on the layer input of the LoRA branch, in [0, 1)
 * @param learningRate Adam's step size, &gt; 0
 * @param epochs passes over the examples, at least 1 (ignored when {@code maxSteps > 0})
 * @param batchSize examples per step, at least 1
 * @param maxSteps when &gt; 0, train exactly this many steps (cycling through reshuffled epochs)
 * @param seed seeds the initialisation of A, the shuffling and dropout
 */
public record LoraTrainingConfig(
        int rank,
        double alpha,
        List<String> targetModules,
        double dropout,
        double learningRate,
        int epochs,
        int batchSize,
        int maxSteps,
        long seed) {
    /** Validates every field. */
    public LoraTrainingConfig {
        targetModules = List.copyOf(targetModules);
        if (rank < 1 || epochs < 1 || batchSize < 1 || maxSteps < 0) {
            throw new IllegalArgumentException(
                    "rank, epochs and batchSize must be >= 1 and maxSteps >= 0, got rank="
                            + rank
                            + " epochs="
                            + epochs
                            + " batchSize="
                            + batchSize
                            + " maxSteps="
                            + maxSteps);
        }
        if (!(alpha > 0) || !(learningRate > 0) || !(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(
                    "need alpha > 0, learningRate > 0, 0 <= dropout < 1, got alpha="
                            + alpha
                            + " learningRate="
                            + learningRate
                            + " dropout="
                            + dropout);
        }
        if (targetModules.isEmpty()) {
            throw new IllegalArgumentException("targetModules must not be empty");
        }
    }

    /**
     * @return PEFT-like defaults: r=8, alpha=16, q_proj and v_proj, no dropout, lr 1e-3, 3 epochs,
     *     batch 16, seed 42
     */
    public static LoraTrainingConfig defaults() {
        return new LoraTrainingConfig(8, 16, List.of("q_proj", "v_proj"), 0.0, 1e-3, 3, 16, 0, 42);
    }

    /**
     * @return {@code alpha / rank}
     */
    public double scaling() {
        return alpha / rank;
    }

    /**
     * @param steps exact number of steps @return a copy
     */
    public LoraTrainingConfig withMaxSteps(int steps) {
        return new LoraTrainingConfig(
                rank, alpha, targetModules, dropout, learningRate, epochs, batchSize, steps, seed);
    }

    /**
     * @param newSeed the seed @return a copy
     */
    public LoraTrainingConfig withSeed(long newSeed) {
        return new LoraTrainingConfig(
                rank,
                alpha,
                targetModules,
                dropout,
                learningRate,
                epochs,
                batchSize,
                maxSteps,
                newSeed);
    }

    /**
     * @param lr the learning rate @return a copy
     */
    public LoraTrainingConfig withLearningRate(double lr) {
        return new LoraTrainingConfig(
                rank, alpha, targetModules, dropout, lr, epochs, batchSize, maxSteps, seed);
    }
}
