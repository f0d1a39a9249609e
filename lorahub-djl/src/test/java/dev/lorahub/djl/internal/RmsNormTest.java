package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** RmsNorm against the closed form. */
class RmsNormTest {
    @Test
    void each_row_is_divided_by_its_root_mean_square_then_scaled_by_the_weight() {
        try (NDManager m = NDManager.newBaseManager()) {
            // GIVEN rows (3, 4) and (1, -1): mean squares 12.5 and 1; eps 0.5; weight (1, 2)
            float[] got =
                    RmsNorm.apply(
                                    m.create(new float[] {3, 4, 1, -1}, new Shape(2, 2)),
                                    m.create(new float[] {1, 2}),
                                    0.5)
                            .toFloatArray();
            // THEN x / sqrt(ms + eps) * w: sqrt(13) and sqrt(1.5); no mean is subtracted
            double a = Math.sqrt(13);
            double b = Math.sqrt(1.5);
            double[] want = {3 / a, 2 * 4 / a, 1 / b, 2 * -1 / b};
            for (int i = 0; i < 4; i++) {
                assertThat((double) got[i]).as("element %d", i).isCloseTo(want[i], within(1e-6));
            }
        }
    }
}
