package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.Evaluation;
import dev.lorahub.GradientOptimizer;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;

import org.junit.jupiter.api.Test;

/** {@link AdamOptimizer} on closed-form functions. */
class AdamOptimizerTest {
    /** f(x) = sum_i (x_i - c_i)^2 with c partly outside the box. */
    private static final double[] C = {0.5, -1.0, 2.0};

    private static double sphere(double[] x, double[] g) {
        double f = 0;
        for (int i = 0; i < x.length; i++) {
            f += (x[i] - C[i]) * (x[i] - C[i]);
            g[i] = 2 * (x[i] - C[i]);
        }
        return f;
    }

    private static final SearchSpace BOX = SearchSpace.box(3, -1.5, 1.5, new double[3]);

    @Test
    void reaches_the_box_constrained_minimum_of_a_shifted_sphere() {
        OptimizationResult r =
                new AdamOptimizer(0.05).minimize(AdamOptimizerTest::sphere, BOX, 3 * 300, 0);
        // the minimum in the box is (0.5, -1.0, 1.5), value 0.25
        assertThat(r.bestPoint())
                .containsExactly(
                        new double[] {0.5, -1.0, 1.5}, org.assertj.core.data.Offset.offset(0.02));
        assertThat(r.bestValue()).isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void spends_three_forward_equivalents_per_step_and_never_leaves_the_box() {
        OptimizationResult r =
                new AdamOptimizer(0.5).minimize(AdamOptimizerTest::sphere, BOX, 32, 0);
        assertThat(r.evaluations()).isEqualTo(32 / GradientOptimizer.COST_PER_STEP);
        for (Evaluation e : r.history()) {
            for (double x : e.point()) {
                assertThat(x).isBetween(-1.5, 1.5);
            }
        }
        // the first point is the start, and every step from there lowered the value at lr 0.5
        assertThat(r.history().get(0).point()).containsExactly(0, 0, 0);
        assertThat(r.bestValue()).isLessThan(r.history().get(0).value());
    }

    @Test
    void is_deterministic_and_the_lowest_evaluation_is_the_result() {
        OptimizationResult a = new AdamOptimizer().minimize(AdamOptimizerTest::sphere, BOX, 90, 1);
        OptimizationResult b = new AdamOptimizer().minimize(AdamOptimizerTest::sphere, BOX, 90, 1);
        assertThat(a).isEqualTo(b);
        double lowest = a.history().stream().mapToDouble(Evaluation::value).min().orElseThrow();
        assertThat(a.bestValue()).isEqualTo(lowest);
    }

    @Test
    void a_non_finite_value_ends_the_run_and_none_finite_is_failed() {
        OptimizationResult r = new AdamOptimizer().minimize((x, g) -> Double.NaN, BOX, 30, 0);
        assertThat(r.state()).isEqualTo(OptimizationResult.State.FAILED);
        assertThat(r.evaluations()).isEqualTo(1);
        assertThat(r.bestPoint()).containsExactly(0, 0, 0);
    }

    @Test
    void a_budget_below_one_step_is_refused_with_the_value() {
        assertThatThrownBy(() -> new AdamOptimizer().minimize(AdamOptimizerTest::sphere, BOX, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 2");
        assertThatThrownBy(() -> new AdamOptimizer(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.0");
    }
}
