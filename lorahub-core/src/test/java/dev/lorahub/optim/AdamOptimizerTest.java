package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.Evaluation;
import dev.lorahub.GradientOptimizer;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;

import org.assertj.core.data.Offset;
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

    @Test
    void schedules_give_their_closed_form_rates() {
        AdamOptimizer linear = new AdamOptimizer(0.08).withSchedule(AdamOptimizer.Decay.LINEAR, 0);
        AdamOptimizer cosine = new AdamOptimizer(0.08).withSchedule(AdamOptimizer.Decay.COSINE, 0);
        AdamOptimizer warm = new AdamOptimizer(0.08).withSchedule(AdamOptimizer.Decay.LINEAR, 2);
        double[] lin = new double[4];
        double[] cos = new double[4];
        double[] wrm = new double[6];
        for (int t = 1; t <= 6; t++) {
            if (t <= 4) {
                lin[t - 1] = linear.learningRate(t, 4);
                cos[t - 1] = cosine.learningRate(t, 4);
            }
            wrm[t - 1] = warm.learningRate(t, 6);
        }
        Offset<Double> tol = Offset.offset(1e-15);
        // linear over 4 steps: lr (1 - (t - 1) / 4)
        assertThat(lin).containsExactly(new double[] {0.08, 0.06, 0.04, 0.02}, tol);
        // cosine over 4 steps: lr (1 + cos(pi (t - 1) / 4)) / 2
        double h = Math.sqrt(0.5);
        assertThat(cos)
                .containsExactly(
                        new double[] {0.08, 0.04 * (1 + h), 0.04, 0.04 * (1 - h)}, tol);
        // 2 warm-up steps at lr t / 3, then linear over the other 4
        assertThat(wrm)
                .containsExactly(
                        new double[] {0.08 / 3, 0.16 / 3, 0.08, 0.06, 0.04, 0.02}, tol);
        assertThat(new AdamOptimizer(0.08).learningRate(5, 6)).isEqualTo(0.08);
    }

    @Test
    void under_a_constant_gradient_each_step_moves_by_the_scheduled_rate() {
        // f(x) = 0.3 x_0 - 2 x_1: Adam's bias-corrected moments are exactly g and g^2 at every
        // step, whatever the betas, so each step moves x_i by lr_t sign(g_i) (to a relative eps /
        // |g| <= 3.4e-8 per step: tolerance 1e-7)
        GradientObjective tilted =
                (x, g) -> {
                    g[0] = 0.3;
                    g[1] = -2;
                    return 0.3 * x[0] - 2 * x[1];
                };
        SearchSpace wide = SearchSpace.box(2, -5, 5, new double[2]);
        for (AdamOptimizer adam :
                new AdamOptimizer[] {
                    new AdamOptimizer(0.1).withSchedule(AdamOptimizer.Decay.COSINE, 3),
                    new AdamOptimizer(0.1)
                            .withSchedule(AdamOptimizer.Decay.LINEAR, 0)
                            .withBetas(0.5, 0.9)
                }) {
            int steps = 10;
            OptimizationResult r = adam.minimize(tilted, wide, 3 * steps, 0);
            assertThat(r.history()).hasSize(steps);
            double travelled = 0;
            for (int t = 1; t <= steps; t++) {
                double[] p = r.history().get(t - 1).point();
                assertThat(p)
                        .as("%s, point of step %d", adam, t)
                        .containsExactly(new double[] {-travelled, travelled}, Offset.offset(1e-7));
                travelled += adam.learningRate(t, steps);
            }
        }
    }

    @Test
    void betas_enter_the_second_step_as_in_the_closed_form() {
        // f(x) = x^2 / 2 from x = 1: step 1 moves by lr (moments are g and g^2); step 2 uses
        // m^ = (b1 g1 + g2) / (1 + b1), v^ = (b2 g1^2 + g2^2) / (1 + b2)
        double lr = 0.3;
        double b1 = 0.5;
        double b2 = 0.9;
        GradientObjective bowl =
                (x, g) -> {
                    g[0] = x[0];
                    return x[0] * x[0] / 2;
                };
        SearchSpace line = SearchSpace.box(1, -5, 5, new double[] {1});
        OptimizationResult r =
                new AdamOptimizer(lr).withBetas(b1, b2).minimize(bowl, line, 9, 0);
        double eps = 1e-8;
        double x1 = 1 - lr / (1 + eps);
        double x2 =
                x1 - lr * ((b1 + x1) / (1 + b1)) / (Math.sqrt((b2 + x1 * x1) / (1 + b2)) + eps);
        assertThat(r.history().get(1).point()[0]).isCloseTo(x1, Offset.offset(1e-14));
        assertThat(r.history().get(2).point()[0]).isCloseTo(x2, Offset.offset(1e-14));
    }

    @Test
    void bad_schedules_and_betas_are_refused_with_the_values() {
        assertThatThrownBy(
                        () -> new AdamOptimizer().withSchedule(AdamOptimizer.Decay.LINEAR, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("warm-up steps must be >= 0, got -1");
        assertThatThrownBy(() -> new AdamOptimizer().withBetas(0.9, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("betas must be in [0, 1), got beta1 0.9, beta2 1.0");
        assertThatThrownBy(() -> new AdamOptimizer().learningRate(7, 6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("step must be in [1, 6] (the run's steps), got 7");
    }
}
