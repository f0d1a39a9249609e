package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.lorahub.Evaluation;
import dev.lorahub.GradientOptimizer;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;

import org.junit.jupiter.api.Test;

/** {@link DescentOptimizer} on closed-form functions, with its spending counted. */
class DescentOptimizerTest {
    private static final SearchSpace BOX = SearchSpace.box(3, -1.5, 1.5, new double[3]);

    /**
     * f(x) = sum_i a_i (x_i - c_i)^2, gradient 2 a_i (x_i - c_i); counts what it is asked: a value
     * and gradient costs 3 forward-equivalents, a value alone 1.
     */
    private static final class Quadratic implements GradientObjective {
        final double[] a;
        final double[] c;
        int spent;
        int gradients;

        Quadratic(double[] a, double[] c) {
            this.a = a;
            this.c = c;
        }

        @Override
        public double valueAndGradient(double[] x, double[] g) {
            spent += GradientOptimizer.COST_PER_STEP;
            gradients++;
            for (int i = 0; i < x.length; i++) {
                g[i] = 2 * a[i] * (x[i] - c[i]);
            }
            return f(x);
        }

        @Override
        public double value(double[] x) {
            spent += 1;
            return f(x);
        }

        double f(double[] x) {
            double f = 0;
            for (int i = 0; i < x.length; i++) {
                f += a[i] * (x[i] - c[i]) * (x[i] - c[i]);
            }
            return f;
        }
    }

    @Test
    void the_first_probe_moves_each_weight_in_proportion_to_its_derivative() {
        // g(0) = -2c = (-1, 2, -4), max |g| = 4: d = (0.25, -0.5, 1), probe at t = 0.25
        Quadratic q = new Quadratic(new double[] {1, 1, 1}, new double[] {0.5, -1.0, 2.0});
        OptimizationResult r = new DescentOptimizer(0.25, 4).minimize(q, BOX, 4, 0);
        assertThat(r.history()).hasSize(2);
        assertThat(r.history().get(0).point()).containsExactly(0, 0, 0);
        assertThat(r.history().get(1).point())
                .containsExactly(new double[] {0.0625, -0.125, 0.25}, offset(1e-15));
        assertThat(q.spent).isEqualTo(4);
    }

    @Test
    void the_parabola_line_search_lands_on_the_minimum_of_an_isotropic_quadratic() {
        // along d = c / 0.9 the value is exactly a parabola with its minimum at t = 0.9: the first
        // probe (t = 0.25) gives the curvature, the second probe is the minimum itself
        Quadratic q = new Quadratic(new double[] {1, 1, 1}, new double[] {0.5, -0.8, 0.9});
        OptimizationResult r = new DescentOptimizer(0.25, 4).minimize(q, BOX, 5, 0);
        assertThat(r.evaluations()).isEqualTo(3);
        assertThat(r.bestPoint()).containsExactly(new double[] {0.5, -0.8, 0.9}, offset(1e-12));
        assertThat(r.bestValue()).isCloseTo(0.0, offset(1e-24));
    }

    @Test
    void reaches_the_box_constrained_minimum_of_an_ill_conditioned_quadratic() {
        // curvatures 1 to 25, the third minimum outside the box: the minimum in it is
        // (0.5, -1.0, 1.5), value 0.25
        Quadratic q = new Quadratic(new double[] {25, 5, 1}, new double[] {0.5, -1.0, 2.0});
        OptimizationResult r = new DescentOptimizer().minimize(q, BOX, 300, 0);
        assertThat(r.bestPoint()).containsExactly(new double[] {0.5, -1.0, 1.5}, offset(1e-3));
        assertThat(r.bestValue()).isCloseTo(0.25, offset(1e-5));
    }

    @Test
    void spends_at_most_the_budget_three_a_gradient_and_one_a_probe_inside_the_box() {
        for (int budget = 3; budget <= 40; budget++) {
            Quadratic q = new Quadratic(new double[] {25, 5, 1}, new double[] {0.5, -1.0, 2.0});
            OptimizationResult r = new DescentOptimizer(0.7, 3).minimize(q, BOX, budget, 0);
            assertThat(q.spent).as("budget %d", budget).isLessThanOrEqualTo(budget);
            // no budget left for a gradient and a probe (or a probe after the last gradient)
            assertThat(budget - q.spent).as("budget %d", budget).isLessThan(4);
            assertThat(r.evaluations()).isLessThanOrEqualTo(
                    new DescentOptimizer(0.7, 3).maxEvaluations(budget));
            int probes = r.evaluations() - q.gradients;
            assertThat(3 * q.gradients + probes).isEqualTo(q.spent);
            for (Evaluation e : r.history()) {
                for (double x : e.point()) {
                    assertThat(x).isBetween(-1.5, 1.5);
                }
            }
        }
    }

    @Test
    void is_deterministic_and_the_lowest_evaluation_is_the_result() {
        double[] a = {25, 5, 1};
        double[] c = {0.5, -1.0, 2.0};
        OptimizationResult r1 = new DescentOptimizer().minimize(new Quadratic(a, c), BOX, 50, 1);
        OptimizationResult r2 = new DescentOptimizer().minimize(new Quadratic(a, c), BOX, 50, 9);
        assertThat(r1).isEqualTo(r2);
        double lowest = r1.history().stream().mapToDouble(Evaluation::value).min().orElseThrow();
        assertThat(r1.bestValue()).isEqualTo(lowest);
    }

    @Test
    void a_zero_gradient_converges_and_a_non_finite_value_fails() {
        Quadratic atStart = new Quadratic(new double[] {1, 1, 1}, new double[3]);
        OptimizationResult r = new DescentOptimizer().minimize(atStart, BOX, 30, 0);
        assertThat(r.state()).isEqualTo(OptimizationResult.State.CONVERGED);
        assertThat(r.evaluations()).isEqualTo(1);

        OptimizationResult nan = new DescentOptimizer().minimize((x, g) -> Double.NaN, BOX, 30, 0);
        assertThat(nan.state()).isEqualTo(OptimizationResult.State.FAILED);
        assertThat(nan.evaluations()).isEqualTo(1);
        assertThat(nan.bestPoint()).containsExactly(0, 0, 0);
    }

    @Test
    void bad_settings_and_a_budget_below_one_step_are_refused_with_the_value() {
        Quadratic q = new Quadratic(new double[] {1, 1, 1}, new double[] {1, 1, 1});
        assertThatThrownBy(() -> new DescentOptimizer().minimize(q, BOX, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 2");
        assertThatThrownBy(() -> new DescentOptimizer(0, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.0");
        assertThatThrownBy(() -> new DescentOptimizer(0.25, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }
}
