package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The linear algebra under the quadratic trust-region method, against closed forms. */
class ModelMathTest {
    private static double[][] randomSymmetric(SplittableRandom r, int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = a[j][i] = r.nextDouble(-2, 2);
            }
        }
        return a;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void eigen_decomposition_reconstructs_the_matrix(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1 + r.nextInt(12);
        double[][] a = randomSymmetric(r, n);
        double[][] q = new double[n][n];
        double[] lambda = Dense.symmetricEigen(a, q);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double back = 0;
                double orth = 0;
                for (int k = 0; k < n; k++) {
                    back += q[i][k] * lambda[k] * q[j][k];
                    orth += q[k][i] * q[k][j];
                }
                assertThat(back).as("seed " + seed).isCloseTo(a[i][j], within(1e-9));
                assertThat(orth).as("seed " + seed).isCloseTo(i == j ? 1 : 0, within(1e-9));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void quadratic_model_recovers_a_quadratic_from_enough_points(long seed) {
        // with (n+1)(n+2)/2 points in general position the interpolating quadratic is unique;
        // the fit's tiny ridge (1e-13) and random point sets' conditioning allow 1e-4
        SplittableRandom r = new SplittableRandom(seed);
        int n = 2 + r.nextInt(3);
        double c = r.nextDouble(-1, 1);
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = r.nextDouble(-1, 1);
        }
        double[][] h = randomSymmetric(r, n);
        QuadraticModel truth = new QuadraticModel(c, g, h);
        List<double[]> ys = new ArrayList<>();
        int m = (n + 1) * (n + 2) / 2;
        double[] fs = new double[m];
        for (int k = 0; k < m; k++) {
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                y[i] = r.nextDouble(-1, 1);
            }
            ys.add(y);
            fs[k] = c + truth.change(y);
        }
        QuadraticModel fit = QuadraticModel.fit(ys, fs, new double[n][n]);
        assertThat(fit).isNotNull();
        assertThat(fit.c()).as("seed " + seed).isCloseTo(c, within(1e-4));
        for (int i = 0; i < n; i++) {
            assertThat(fit.g()[i]).as("seed " + seed).isCloseTo(g[i], within(1e-4));
            for (int j = 0; j < n; j++) {
                assertThat(fit.h()[i][j]).as("seed " + seed).isCloseTo(h[i][j], within(1e-4));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void trust_region_step_satisfies_the_optimality_conditions(long seed) {
        // d solves min g.d + d'Hd/2, |d| <= delta iff (H + mu I) d = -g, H + mu I PSD, mu >= 0,
        // mu (delta - |d|) = 0  (Moré and Sorensen)
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1 + r.nextInt(8);
        double[][] h = randomSymmetric(r, n);
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = r.nextDouble(-1, 1);
        }
        double delta = r.nextDouble(0.05, 3);
        double[][] basis = new double[n][n];
        for (int i = 0; i < n; i++) {
            basis[i][i] = 1;
        }
        double[] d = TrustRegionStep.solve(g, h, delta, basis);
        double len = Math.sqrt(QuadraticModel.dot(d, d));
        assertThat(len).as("seed " + seed).isLessThanOrEqualTo(delta * (1 + 1e-9));
        // estimate mu from the first equation with d_i != 0 and check all of them
        double[] hd = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                hd[i] += h[i][j] * d[j];
            }
        }
        double mu = -(QuadraticModel.dot(d, hd) + QuadraticModel.dot(d, g)) / (len * len);
        assertThat(mu).as("seed " + seed).isGreaterThanOrEqualTo(-1e-9);
        for (int i = 0; i < n; i++) {
            assertThat(hd[i] + mu * d[i] + g[i]).as("seed " + seed).isCloseTo(0, within(1e-6));
        }
        double[][] q = new double[n][n];
        double[] lambda = Dense.symmetricEigen(h, q);
        for (double l : lambda) {
            assertThat(l + mu).as("seed " + seed).isGreaterThanOrEqualTo(-1e-6);
        }
        if (mu > 1e-9) {
            assertThat(len).as("seed " + seed).isCloseTo(delta, within(1e-6 * delta));
        }
    }
}
