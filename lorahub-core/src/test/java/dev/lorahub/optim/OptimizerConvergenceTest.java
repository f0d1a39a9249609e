package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each optimizer reaches a stated tolerance on simple functions at a generous budget. */
class OptimizerConvergenceTest {
    private static final double[] TARGET = {0.3, -0.7, 1.1, -0.2, 0.6};

    /** A shifted sphere in 5-D with its minimum 0 at TARGET, inside [-1.5, 1.5]^5. */
    private static final ToDoubleFunction<double[]> SPHERE =
            w -> {
                double f = 0;
                for (int i = 0; i < w.length; i++) {
                    f += (w[i] - TARGET[i]) * (w[i] - TARGET[i]);
                }
                return f;
            };

    /** A rotated, ill-conditioned (1:100) quadratic with its minimum 0 at TARGET. */
    private static final ToDoubleFunction<double[]> ROTATED =
            w -> {
                double f = 0;
                for (int i = 0; i < w.length; i++) {
                    double z = 0;
                    for (int j = 0; j < w.length; j++) {
                        // a fixed orthogonal matrix: the normalized 5x5 discrete cosine transform
                        double c = i == 0 ? Math.sqrt(1.0 / 5) : Math.sqrt(2.0 / 5);
                        z += c * Math.cos(Math.PI * (j + 0.5) * i / 5) * (w[j] - TARGET[j]);
                    }
                    f += Math.pow(100, i / 4.0) * z * z;
                }
                return f;
            };

    private static final SearchSpace BOX = SearchSpace.box(5, -1.5, 1.5, new double[5]);

    @ParameterizedTest(name = "{0} on the sphere reaches {2} in {1} evaluations")
    @CsvSource({
        "cobyla, 200, 1e-8",
        "bobyqa, 200, 1e-8",
        "quadratic, 200, 1e-8",
        "quadratic-batch, 200, 1e-8",
        "cmaes, 1500, 1e-6",
        "one-plus-one, 1500, 1e-6",
        "random, 3000, 0.6"
    })
    void converges_on_a_shifted_sphere(String name, int budget, double tolerance) {
        assertReachesOnSeeds0To2(name, SPHERE, budget, tolerance);
    }

    @ParameterizedTest(name = "{0} on a rotated quadratic reaches {2} in {1} evaluations")
    @CsvSource({
        "cobyla, 400, 1e-3",
        "bobyqa, 300, 1e-8",
        "quadratic, 300, 1e-8",
        "quadratic-batch, 300, 1e-8",
        "cmaes, 3000, 1e-6",
        "one-plus-one, 3000, 1e-2"
    })
    void converges_on_a_rotated_ill_conditioned_quadratic(String name, int budget, double tol) {
        assertReachesOnSeeds0To2(name, ROTATED, budget, tol);
    }

    private static void assertReachesOnSeeds0To2(
            String name, ToDoubleFunction<double[]> f, int budget, double tolerance) {
        for (long seed = 0; seed < 3; seed++) {
            OptimizationResult r = Optimizers.byName(name).minimize(f, BOX, budget, seed);
            assertThat(r.bestValue()).as(name + " seed " + seed).isLessThan(tolerance);
        }
    }

    @ParameterizedTest(name = "{0} finds a minimum on the boundary of the box within {1}")
    @CsvSource({
        "cobyla, 1e-2",
        "bobyqa, 1e-8",
        "quadratic, 1e-8",
        "quadratic-batch, 1e-8",
        "cmaes, 1e-2",
        "one-plus-one, 5e-2"
    })
    void finds_a_minimum_on_the_boundary(String name, double tolerance) {
        // unconstrained minimum at w = 2 in every coordinate, outside the box: the answer is 1.5
        ToDoubleFunction<double[]> f =
                w -> {
                    double s = 0;
                    for (double v : w) {
                        s += (v - 2) * (v - 2);
                    }
                    return s;
                };
        OptimizationResult r = Optimizers.byName(name).minimize(f, BOX, 400, 1);
        // f(1.5, ..., 1.5) = 5 * 0.25 = 1.25 is the constrained minimum
        assertThat(r.bestValue()).as(name).isBetween(1.25, 1.25 + tolerance);
    }
}
