package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CrossEntropyTest {
    /** Direct double-precision HF formula, shift applied when causal. */
    private static double reference(
            float[] logits, int[] labels, int b, int t, int v, boolean causal) {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < (causal ? t - 1 : t); j++) {
                int label = labels[i * t + j + (causal ? 1 : 0)];
                if (label == -100) {
                    continue;
                }
                int off = (i * t + j) * v;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    max = Math.max(max, logits[off + k]);
                }
                double z = 0;
                for (int k = 0; k < v; k++) {
                    z += Math.exp(logits[off + k] - max);
                }
                sum += -(logits[off + label] - max - Math.log(z));
                count++;
            }
        }
        return sum / count;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void matches_the_token_mean_formula_with_ignored_labels(long seed) {
        Random rnd = new Random(seed);
        int b = 1 + rnd.nextInt(3);
        int t = 2 + rnd.nextInt(6);
        int v = 2 + rnd.nextInt(30);
        float[] logits = new float[b * t * v];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (rnd.nextGaussian() * 3);
        }
        int[] labels = new int[b * t];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rnd.nextInt(4) == 0 ? -100 : rnd.nextInt(v);
        }
        labels[1] = 0; // at least one label counts in both forms
        labels[0] = 1 % v;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray l = m.create(logits, new Shape(b, t, v));
            NDArray y = m.create(labels, new Shape(b, t));
            // float32 log-softmax vs double: 1e-5 relative
            double aligned = CrossEntropy.aligned(l, y).getFloat();
            double ref = reference(logits, labels, b, t, v, false);
            assertThat(aligned).as("seed %d", seed).isCloseTo(ref, within(1e-5 * ref));
            double causal = CrossEntropy.causal(l, y).getFloat();
            double refC = reference(logits, labels, b, t, v, true);
            assertThat(causal).as("seed %d", seed).isCloseTo(refC, within(1e-5 * refC));
        }
    }
}
