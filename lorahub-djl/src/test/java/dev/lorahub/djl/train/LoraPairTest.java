package dev.lorahub.djl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The LoRA side branch and its dropout against closed forms. */
class LoraPairTest {
    private static final int ROWS = 500;
    private static final int IN = 64;

    @Test
    void without_dropout_the_branch_is_scaling_times_x_a_transposed_b_transposed() {
        try (NDManager m = NDManager.newBaseManager()) {
            // GIVEN x [2, 3], A [2, 3], B [4, 2], s = 0.5: worked by hand below
            NDArray x = m.create(new float[] {1, 2, 3, -1, 0, 2}, new Shape(2, 3));
            NDArray a = m.create(new float[] {1, 0, 1, 0, 1, -1}, new Shape(2, 3));
            NDArray b = m.create(new float[] {1, 0, 0, 1, 1, 1, 2, -1}, new Shape(4, 2));
            float[] got = new LoraPair(a, b, 0.5f).branch(x).toFloatArray();
            // x A^T = [[4, -1], [1, -2]]; (x A^T) B^T = [[4, -1, 3, 9], [1, -2, -1, 4]]
            assertThat(got).containsExactly(2f, -0.5f, 1.5f, 4.5f, 0.5f, -1f, -0.5f, 2f);
        }
    }

    @Test
    void dropout_zeroes_elements_of_the_branch_input_and_rescales_the_rest() {
        try (NDManager m = NDManager.newBaseManager()) {
            // GIVEN x = 1 everywhere, A = 1 [1, 64], B = 1, s = 2, p = 0.25: the branch of a row
            // is 2 * k / 0.75 where k is the number of the row's 64 inputs kept
            double p = 0.25;
            NDArray x = m.ones(new Shape(ROWS, IN));
            LoraPair pair =
                    new LoraPair(
                            m.ones(new Shape(1, IN)),
                            m.ones(new Shape(1, 1)),
                            2f,
                            LoraDropout.of(p, 11));
            float[] out = pair.branch(x).toFloatArray();
            double sum = 0;
            Set<Long> distinct = new TreeSet<>();
            for (float v : out) {
                double k = v * (1 - p) / 2;
                // THEN k is a whole number of kept inputs (dropout on the input, rescaled by
                // 1 / (1 - p)); on the output it would be 0 or 64 only
                assertThat(k).isCloseTo(Math.rint(k), org.assertj.core.data.Offset.offset(1e-3));
                assertThat(k).isBetween(0.0, (double) IN);
                distinct.add(Math.round(k));
                sum += k;
            }
            assertThat(distinct.size()).as("distinct kept counts %s", distinct).isGreaterThan(5);
            // AND the mean kept count is 64 * (1 - p) within 5 sigma of its binomial mean
            double sigma = Math.sqrt(IN * p * (1 - p) / ROWS);
            assertThat(sum / ROWS).isBetween(IN * (1 - p) - 5 * sigma, IN * (1 - p) + 5 * sigma);
        }
    }

    @Test
    void a_seed_gives_the_same_masks_and_another_seed_others() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(8, IN));
            float[] a = LoraDropout.of(0.3, 5).apply(x).toFloatArray();
            float[] b = LoraDropout.of(0.3, 5).apply(x).toFloatArray();
            float[] c = LoraDropout.of(0.3, 6).apply(x).toFloatArray();
            assertThat(b).containsExactly(a);
            assertThat(c).isNotEqualTo(a);
            assertThat(LoraDropout.of(0, 5)).isSameAs(LoraDropout.NONE);
            assertThat(LoraDropout.NONE.apply(x)).isSameAs(x);
        }
    }

    @Test
    void a_probability_outside_0_1_is_refused_naming_it() {
        assertThatThrownBy(() -> LoraDropout.of(1.0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 1)")
                .hasMessageContaining("1.0");
    }
}
