package dev.lorahub.internal.merge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TruncatedSvdTest {
    @Test
    void clamp_uses_the_linearly_interpolated_quantile_of_both_factors() {
        // all values sorted: -4 -2 -1 0 1 3 5 8; quantile 0.5 -> position 3.5 -> (0 + 1) / 2
        float[] a = {-4, 1, 8, 0};
        float[] b = {3, -2, 5, -1};
        TruncatedSvd.clamp(new TruncatedSvd.Factors(a, b), 0.5);
        assertThat(a).containsExactly(-0.5f, 0.5f, 0.5f, 0f);
        assertThat(b).containsExactly(0.5f, -0.5f, 0.5f, -0.5f);
    }

    @Test
    void clamp_at_quantile_one_keeps_values_within_the_maximum() {
        float[] a = {-9, 1, 2};
        float[] b = {3, -2, 5};
        TruncatedSvd.clamp(new TruncatedSvd.Factors(a, b), 1.0);
        assertThat(a).containsExactly(-5f, 1f, 2f);
        assertThat(b).containsExactly(3f, -2f, 5f);
    }

    @Test
    void a_negative_quantile_value_sets_everything_to_it_as_torch_clamp_does() {
        float[] a = {-3, -2};
        float[] b = {-1, 4};
        // sorted -3 -2 -1 4; quantile 0 -> -3; torch.clamp(min=3, max=-3) gives -3 everywhere
        TruncatedSvd.clamp(new TruncatedSvd.Factors(a, b), 0.0);
        assertThat(a).containsExactly(-3f, -3f);
        assertThat(b).containsExactly(-3f, -3f);
    }

    @Test
    void factors_of_a_known_rank_one_matrix_reproduce_it() {
        // D = 2 * b a with b = [1, 2], a = [3, 0, 4]: singular value 2 * |b| * |a| = 10 sqrt(5)
        TruncatedSvd.Factors f =
                TruncatedSvd.of(
                        new float[][] {{1, 2}},
                        new float[][] {{3, 0, 4}},
                        new int[] {1},
                        new double[] {2},
                        2,
                        3,
                        1);
        double norm = Math.sqrt(f.b()[0] * f.b()[0] + f.b()[1] * f.b()[1]);
        assertThat(norm).isCloseTo(10 * Math.sqrt(5), org.assertj.core.api.Assertions.within(1e-4));
        float[] expected = {6, 0, 8, 12, 0, 16};
        for (int o = 0; o < 2; o++) {
            for (int i = 0; i < 3; i++) {
                assertThat((double) f.b()[o] * f.a()[i])
                        .as("D[%d,%d]", o, i)
                        .isCloseTo(
                                expected[o * 3 + i], org.assertj.core.api.Assertions.within(1e-4));
            }
        }
    }
}
