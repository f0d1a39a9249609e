package dev.lorahub.internal.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.MajoritySign;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pruning and TIES kernels on hand-worked examples and statistical invariants. */
class TaskArithmeticTest {
    @Test
    void magnitude_pruning_keeps_the_floor_of_density_times_n_largest() {
        float[] x = {3, -1, 2, -4, 0.5f};
        // k = floor(0.5 * 5) = 2: keeps 3 and -4
        assertThat(TaskArithmetic.magnitudePrune(x, 0.5)).containsExactly(3, 0, 0, -4, 0);
        assertThat(TaskArithmetic.magnitudePrune(x, 0.0)).containsExactly(0, 0, 0, 0, 0);
        assertThat(TaskArithmetic.magnitudePrune(x, 1.0)).containsExactly(x);
        // ties at the threshold keep the lower indices
        assertThat(TaskArithmetic.magnitudePrune(new float[] {1, -1, 1, 5}, 0.5))
                .containsExactly(1, 0, 0, 5);
    }

    @Test
    void ties_elects_the_sign_of_the_sum_and_averages_the_agreeing_weighted_values() {
        float[][] ts = {{2, -1, 0}, {-1, -1, 0}, {-3, 4, 0}};
        float[] w = {1, 2, 0.5f};
        float[] out = new float[3];
        TaskArithmetic.disjointMerge(out, ts, w, MajoritySign.TOTAL);
        // element 0: sum -2 -> sign -; agreeing: -1 (w 2), -3 (w .5) -> (-2 - 1.5) / 2
        // element 1: sum 2 -> sign +; agreeing: 4 (w .5) -> 2 / 1
        // element 2: all zero -> 0
        assertThat(out).containsExactly(-1.75f, 2f, 0f);
        TaskArithmetic.disjointMerge(out, ts, w, MajoritySign.FREQUENCY);
        // element 0: signs +,-,- -> -; element 1: signs -,-,+ -> -: (-1 - 2) / 2
        assertThat(out).containsExactly(-1.75f, -1.5f, 0f);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.5, 0.9})
    void dare_keeps_a_density_fraction_rescaled_so_the_mean_is_unchanged(double density) {
        int n = 200_000;
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        float[] y = TaskArithmetic.dropAndRescale(x, density, new SplittableRandom(11));
        int kept = 0;
        double sum = 0;
        for (float v : y) {
            assertThat(v == 0f || v == (float) (1 / (float) density)).isTrue();
            kept += v != 0 ? 1 : 0;
            sum += v;
        }
        double sigma = Math.sqrt(n * density * (1 - density));
        assertThat((double) kept)
                .as("density %f", density)
                .isCloseTo(n * density, within(5 * sigma));
        assertThat(sum / n)
                .as("density %f", density)
                .isCloseTo(1.0, within(5 * sigma / (n * density)));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void quickselect_agrees_with_sorting(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 + rnd.nextInt(300);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            // few distinct values: many ties
            a[i] = rnd.nextInt(7) - 3;
        }
        float[] sorted = a.clone();
        java.util.Arrays.sort(sorted);
        for (int k = 1; k <= n; k++) {
            assertThat(TaskArithmetic.kthLargest(a.clone(), k))
                    .as("seed %d k %d", seed, k)
                    .isEqualTo(sorted[n - k]);
        }
    }
}
