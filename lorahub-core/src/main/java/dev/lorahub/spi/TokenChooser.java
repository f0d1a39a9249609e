package dev.lorahub.spi;

import dev.lorahub.model.GenerationConfig;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Turns one row of logits into the next token as a {@link GenerationConfig} says, the way Hugging
 * Face's {@code generate} does with {@code num_beams = 1}: greedy takes the first index of the
 * largest logit; sampling divides the logits by the temperature, keeps the top-k, then the top-p
 * (nucleus) candidates, and draws from the softmax of what is left.
 *
 * <p>The one random source of a generation: a {@link SplittableRandom} seeded by {@link
 * GenerationConfig#seed()}, one draw per sampled token, so a seed gives the same tokens on every run
 * when the rows are chosen in the same order. Not thread-safe: one chooser per generation.
 */
public final class TokenChooser {
    private final GenerationConfig config;
    private final SplittableRandom random;

    /**
     * @param config the settings; its seed starts the random stream
     */
    public TokenChooser(GenerationConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.random = new SplittableRandom(config.seed());
    }

    /**
     * @param logits logits of one or more rows, row-major
     * @param off where the row starts
     * @param vocab the row's length
     * @return the chosen token, in {@code [0, vocab)}
     */
    public int choose(float[] logits, int off, int vocab) {
        if (config.temperature() == 0) {
            return argmax(logits, off, vocab);
        }
        double[] s = new double[vocab];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            s[i] = logits[off + i] / config.temperature();
            max = Math.max(max, s[i]);
        }
        boolean[] removed = new boolean[vocab];
        if (config.topK() > 0 && config.topK() < vocab) {
            double[] sorted = s.clone();
            Arrays.sort(sorted);
            double kth = sorted[vocab - config.topK()];
            for (int i = 0; i < vocab; i++) {
                removed[i] = s[i] < kth; // HF: scores < k-th largest are removed, ties kept
            }
        }
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = removed[i] ? 0 : Math.exp(s[i] - max);
            sum += p[i];
        }
        if (config.topP() < 1) {
            sum = nucleus(s, p, sum, config.topP());
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            if (p[i] > 0) {
                acc += p[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last;
    }

    /**
     * HF's {@code TopPLogitsWarper}: sort ascending, remove the tokens whose cumulative probability
     * (their own and every less likely one's) is at most {@code 1 - topP}, never the most likely.
     * Zeroes the removed entries of {@code p}.
     *
     * @return the sum of what is left
     */
    private static double nucleus(double[] s, double[] p, double sum, double topP) {
        Integer[] order = new Integer[s.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(s[a], s[b]));
        double cum = 0;
        double left = sum;
        for (int r = 0; r < order.length - 1; r++) {
            int i = order[r];
            cum += p[i] / sum;
            if (cum <= 1 - topP) {
                left -= p[i];
                p[i] = 0;
            }
        }
        return left;
    }

    /**
     * @param v values, row-major
     * @param off where the row starts
     * @param n the row's length
     * @return the first index of the largest value in {@code v[off .. off + n)}
     */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
