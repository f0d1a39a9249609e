package dev.lorahub;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The mini-batch schedule of {@link LearnStep#miniBatch(int)}: every epoch a fresh seeded shuffle of
 * the {@code k} example indices, cut into {@code ceil(k / m)} consecutive mini-batches of {@code m}
 * (the last one smaller when {@code m} does not divide {@code k}). Deterministic for a seed; not
 * thread-safe (one per run).
 */
final class MiniBatches {
    private final int examples;
    private final int size;
    private final SplittableRandom random;
    private final int[] order;
    private int next;

    /**
     * @param examples {@code k}, at least 1
     * @param size {@code m}, from 1 to {@code k}
     * @param seed seeds the shuffles
     */
    MiniBatches(int examples, int size, long seed) {
        if (examples < 1 || size < 1 || size > examples) {
            throw new IllegalArgumentException(
                    "mini-batch size must be in [1, " + examples + "], got " + size);
        }
        this.examples = examples;
        this.size = size;
        this.random = new SplittableRandom(seed);
        this.order = new int[examples];
        this.next = examples; // the first call shuffles
    }

    /**
     * @return {@code m}, examples per mini-batch (the last of an epoch may hold fewer)
     */
    int size() {
        return size;
    }

    /**
     * @return mini-batches per epoch, {@code ceil(k / m)}
     */
    int perEpoch() {
        return (examples + size - 1) / size;
    }

    /**
     * @param epochs whole epochs to run
     * @return the budget an optimizer that counts {@value GradientOptimizer#COST_PER_STEP} per
     *     value-and-gradient evaluation needs to run that many epochs of steps
     */
    int stepBudget(int epochs) {
        return epochs * perEpoch() * GradientOptimizer.COST_PER_STEP;
    }

    /**
     * @return the example indices of the next mini-batch (a fresh array)
     */
    int[] next() {
        if (next == examples) {
            for (int i = 0; i < examples; i++) {
                order[i] = i;
            }
            for (int i = examples - 1; i > 0; i--) { // Fisher-Yates
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            next = 0;
        }
        int end = Math.min(examples, next + size);
        int[] out = Arrays.copyOfRange(order, next, end);
        next = end;
        return out;
    }
}
