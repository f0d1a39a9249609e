package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** COBYLA as nevergrad's NGOpt runs it for LoraHub. */
class CobylaOptimizerTest {
    private static final int N = 20;

    private static double[] shift() {
        double[] s = new double[N];
        for (int i = 0; i < N; i++) {
            s[i] = Math.round(0.8 * Math.sin(1.7 * i + 1) * 1e4) / 1e4;
        }
        return s;
    }

    private static final ToDoubleFunction<double[]> SPHERE =
            w -> {
                double[] s = shift();
                double f = 0;
                for (int i = 0; i < N; i++) {
                    f += (w[i] - s[i]) * (w[i] - s[i]);
                }
                return f;
            };

    private static final SearchSpace LORAHUB_BOX = SearchSpace.box(N, -1.5, 1.5, new double[N]);

    @Test
    void starts_with_the_start_point_and_one_probe_of_half_a_unit_per_axis() {
        // every +0.5 probe is worse than 0 here, so each probe starts from w = 0
        ToDoubleFunction<double[]> f =
                w -> {
                    double s = 0;
                    for (double v : w) {
                        s += (v + 1) * (v + 1);
                    }
                    return s;
                };
        OptimizationResult r = new CobylaOptimizer().minimize(f, LORAHUB_BOX, N + 1, 0);
        assertThat(r.history().get(0).point()).containsOnly(0.0);
        for (int k = 1; k <= N; k++) {
            double[] expected = new double[N];
            expected[k - 1] = 0.5;
            assertThat(r.history().get(k).point()).as("probe " + k).containsExactly(expected);
        }
    }

    @Test
    void keeps_an_improving_probe_for_the_next_probes() {
        // Powell's initial simplex moves the best vertex when a probe improves
        ToDoubleFunction<double[]> f = w -> (w[0] - 1) * (w[0] - 1) + (w[1] + 1) * (w[1] + 1);
        SearchSpace box = SearchSpace.box(2, -1.5, 1.5, new double[2]);
        OptimizationResult r = new CobylaOptimizer().minimize(f, box, 3, 0);
        assertThat(r.history().get(1).point()).containsExactly(0.5, 0.0);
        assertThat(r.history().get(2).point()).containsExactly(0.5, 0.5);
    }

    @Test
    void matches_the_reference_ngopt_figures_on_the_sphere() {
        // spec/optimizer-benchmark.md, NGOpt row (scipy's Fortran COBYLA): 0.537 / 0.102 / 4.7e-7;
        // COBYLA is deterministic, so every seed gives the median; tolerance 2 %
        assertThat(new CobylaOptimizer().minimize(SPHERE, LORAHUB_BOX, 40, 0).bestValue())
                .isCloseTo(0.537, within(0.537 * 0.02));
        assertThat(new CobylaOptimizer().minimize(SPHERE, LORAHUB_BOX, 100, 0).bestValue())
                .isCloseTo(0.102, within(0.102 * 0.02));
        assertThat(new CobylaOptimizer().minimize(SPHERE, LORAHUB_BOX, 400, 0).bestValue())
                .isCloseTo(4.7e-7, within(4.7e-7 * 0.05));
    }

    @Test
    void converges_on_a_sphere_inside_the_box_at_a_generous_budget() {
        OptimizationResult r = new CobylaOptimizer().minimize(SPHERE, LORAHUB_BOX, 600, 0);
        assertThat(r.bestValue()).isLessThan(1e-9);
    }

    @Test
    void quadratic_batch_asks_for_all_axis_probes_at_once_then_their_combination() {
        ToDoubleFunction<double[]> f =
                w -> (w[0] - 1) * (w[0] - 1) + (w[1] - 1) * (w[1] - 1) + (w[2] + 1) * (w[2] + 1);
        SearchSpace box = SearchSpace.box(3, -1.5, 1.5, new double[3]);
        Session s = Optimizers.byName("quadratic-batch").start(box, 10, 0);
        assertThat(s.ask()).hasSize(1);
        s.tell(new double[] {f.applyAsDouble(new double[3])});
        java.util.List<double[]> probes = s.ask();
        assertThat(probes).hasSize(3);
        assertThat(probes.get(0)).containsExactly(0.5, 0, 0);
        assertThat(probes.get(2)).containsExactly(0, 0, 0.5);
        s.tell(probes.stream().mapToDouble(f).toArray());
        // axes 0 and 1 improved, axis 2 did not
        assertThat(s.ask().get(0)).containsExactly(0.5, 0.5, 0);
    }

    @Test
    void bounces_off_the_box_like_nevergrad() {
        assertThat(Bounce.apply(0.7, -1.5, 1.5)).isEqualTo(0.7);
        assertThat(Bounce.apply(2.0, -1.5, 1.5)).isEqualTo(1.0);
        assertThat(Bounce.apply(-1.75, -1.5, 1.5)).isEqualTo(-1.25);
        assertThat(Bounce.apply(9.0, -1.5, 1.5)).isEqualTo(-1.5); // reflected once, then clipped
    }
}
