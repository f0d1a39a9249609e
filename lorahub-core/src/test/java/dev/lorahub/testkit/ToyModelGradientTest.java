package dev.lorahub.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.LoraModule;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LossGradient;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** {@link ToyModel#lossGradient}: hand-written backpropagation against finite differences. */
class ToyModelGradientTest {
    private static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    private static final List<LoraModule> MODULES =
            ToyTasks.modules(MODEL.config(), "toy", 3, 2, 5L);

    @Test
    void every_weight_gradient_entry_matches_central_finite_differences() {
        ToyTask task =
                ToyTasks.task(
                        MODEL,
                        MODULES,
                        new double[] {0.7, -0.4, 0.2},
                        ToyTasks.Combination.EXACT_SUM,
                        5,
                        32,
                        9L);
        Set<String> paths = MODEL.linearModules().keySet();
        LoraModule adapter = MODULES.get(1); // gradients at base + a real update
        SplittableRandom rnd = new SplittableRandom(3);
        try (EncodedBatch batch = MODEL.encode(task.examples())) {
            LossGradient g = MODEL.lossGradient(adapter, batch, paths);
            assertThat(g.loss()).isEqualTo(MODEL.loss(adapter, batch));
            assertThat(g.weightGradients().keySet()).containsExactlyElementsOf(paths);
            double h = 1e-3;
            int checked = 0;
            for (String path : paths) {
                int size = g.weightGradients().get(path).length;
                for (int n = 0; n < 12; n++) {
                    int i = rnd.nextInt(size);
                    double fd =
                            (loss(adapter, path, i, h, batch) - loss(adapter, path, i, -h, batch))
                                    / (2 * h);
                    double analytic = g.weightGradients().get(path)[i];
                    // double-precision forward on float weights: W + h rounds at ~1e-7 of W,
                    // so the difference quotient is good to ~1e-5; truncation O(h^2)
                    assertThat(Math.abs(analytic - fd))
                            .as(
                                    "%s[%d]: backprop %s vs finite differences %s",
                                    path, i, analytic, fd)
                            .isLessThanOrEqualTo(2e-5 + 1e-3 * Math.abs(fd));
                    checked += Math.abs(fd) > 1e-3 ? 1 : 0;
                }
            }
            assertThat(checked).as("entries with a non-trivial derivative").isGreaterThan(10);
        }
    }

    /** The loss with {@code adapter} plus {@code h} at one entry of one weight. */
    private static double loss(
            LoraModule adapter, String path, int entry, double h, EncodedBatch batch) {
        float[] delta =
                new float
                        [MODEL.linearModules().get(path).outFeatures()
                                * MODEL.linearModules().get(path).inFeatures()];
        delta[entry] = (float) h;
        Map<String, float[]> w = MODEL.effectiveWeights(adapter);
        return MODEL.crossEntropy(addTo(w, path, delta), (ToyBatch) batch);
    }

    private static Map<String, float[]> addTo(Map<String, float[]> w, String path, float[] d) {
        float[] sum = w.get(path).clone();
        for (int i = 0; i < sum.length; i++) {
            sum[i] += d[i];
        }
        Map<String, float[]> out = new java.util.LinkedHashMap<>(w);
        out.put(path, sum);
        return out;
    }
}
