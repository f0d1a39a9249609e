package dev.lorahub.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OptimizerBenchmarkTest {
    @Test
    void the_l1_sphere_floor_is_the_specs_minimum_and_nothing_nearby_is_lower() {
        BenchmarkFunction f = BenchmarkFunction.l1Sphere();
        double floor = OptimizerBenchmark.floor(f);
        // spec/optimizer-benchmark.md: f* = 0.495655 (6 digits)
        assertThat(floor).isCloseTo(0.495655, within(5e-7));

        double[] s = BenchmarkFunction.shift();
        double[] best = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            best[i] = Math.signum(s[i]) * Math.max(Math.abs(s[i]) - 0.025, 0.0);
        }
        SplittableRandom rnd = new SplittableRandom(7);
        for (int k = 0; k < 2000; k++) {
            double[] w = best.clone();
            w[rnd.nextInt(w.length)] += rnd.nextDouble(-0.05, 0.05);
            assertThat(f.truth().applyAsDouble(w))
                    .as("perturbation %d (seed 7)", k)
                    .isGreaterThanOrEqualTo(floor);
        }
    }

    @Test
    void functions_without_a_regulariser_have_floor_zero() {
        assertThat(OptimizerBenchmark.floor(BenchmarkFunction.sphere())).isZero();
        assertThat(BenchmarkFunction.sphere().truth().applyAsDouble(BenchmarkFunction.shift()))
                .isZero();
    }
}
