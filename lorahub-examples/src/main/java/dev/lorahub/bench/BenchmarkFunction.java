package dev.lorahub.bench;

import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * A test function of the optimizer benchmark on {@code [-1.5, 1.5]^20}, started at 0.
 *
 * @param name the column name
 * @param truth the noise-free function; an optimizer is scored by it
 * @param noiseSd the standard deviation of the seeded Gaussian noise the optimizer sees (0: none)
 */
record BenchmarkFunction(String name, ToDoubleFunction<double[]> truth, double noiseSd) {
    /** The dimension of every function. */
    static final int N = 20;

    /**
     * @return the function an optimizer sees in the run with this seed
     */
    ToDoubleFunction<double[]> objective(long seed) {
        if (noiseSd == 0) {
            return truth;
        }
        SplittableRandom noise = new SplittableRandom(0x5EED0000L + seed);
        return w -> truth.applyAsDouble(w) + noiseSd * gaussian(noise);
    }

    /**
     * @return the spec's shift {@code s_i = round(0.8 sin(1.7 i + 1), 4)}
     */
    static double[] shift() {
        double[] s = new double[N];
        for (int i = 0; i < N; i++) {
            s[i] = Math.round(0.8 * Math.sin(1.7 * i + 1) * 1e4) / 1e4;
        }
        return s;
    }

    static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** {@code sum (w_i - s_i)^2}. */
    static BenchmarkFunction sphere() {
        double[] s = shift();
        return new BenchmarkFunction("sphere", w -> sphere(w, s), 0);
    }

    /** {@code sum 10^(6 i / 19) (w_i - s_i)^2}. */
    static BenchmarkFunction ellipsoid() {
        double[] s = shift();
        return new BenchmarkFunction(
                "ellipsoid",
                w -> {
                    double f = 0;
                    for (int i = 0; i < N; i++) {
                        double d = w[i] - s[i];
                        f += Math.pow(10, 6.0 * i / (N - 1)) * d * d;
                    }
                    return f;
                },
                0);
    }

    /** sphere + {@code 0.05 sum |w_i|}. */
    static BenchmarkFunction l1Sphere() {
        double[] s = shift();
        return new BenchmarkFunction("l1_sphere", w -> sphere(w, s) + 0.05 * l1(w), 0);
    }

    /**
     * Non-separable: {@code sum 10^(3 i / 19) (R (w - s))_i^2} with a fixed random rotation R
     * (condition number 1000).
     */
    static BenchmarkFunction rotatedEllipsoid() {
        double[] s = shift();
        double[][] r = rotation(new SplittableRandom(20230713L));
        return new BenchmarkFunction(
                "rot_ellipsoid",
                w -> {
                    double f = 0;
                    for (int i = 0; i < N; i++) {
                        double z = 0;
                        for (int j = 0; j < N; j++) {
                            z += r[i][j] * (w[j] - s[j]);
                        }
                        f += Math.pow(10, 3.0 * i / (N - 1)) * z * z;
                    }
                    return f;
                },
                0);
    }

    /**
     * Curved: Rosenbrock in {@code z = w - s + 1}, so the minimum 0 is at {@code w = s}, inside the
     * box.
     */
    static BenchmarkFunction rosenbrock() {
        double[] s = shift();
        return new BenchmarkFunction(
                "rosenbrock",
                w -> {
                    double f = 0;
                    for (int i = 0; i + 1 < N; i++) {
                        double zi = w[i] - s[i] + 1;
                        double zn = w[i + 1] - s[i + 1] + 1;
                        f += 100 * (zn - zi * zi) * (zn - zi * zi) + (1 - zi) * (1 - zi);
                    }
                    return f;
                },
                0);
    }

    /** The sphere seen through Gaussian noise of standard deviation 0.3 (scored noise-free). */
    static BenchmarkFunction noisySphere() {
        double[] s = shift();
        return new BenchmarkFunction("noisy_sphere", w -> sphere(w, s), 0.3);
    }

    /**
     * Shaped like LoraHub's score: a smooth non-separable loss {@code log(1 + q(w))}, q a random
     * positive definite quadratic around s, plus {@code 0.05 mean |w|}.
     */
    static BenchmarkFunction lorahubLike() {
        double[] s = shift();
        SplittableRandom random = new SplittableRandom(42L);
        double[][] m = new double[N][N];
        for (double[] row : m) {
            for (int j = 0; j < N; j++) {
                row[j] = gaussian(random) / Math.sqrt(N);
            }
        }
        return new BenchmarkFunction(
                "lorahub_like",
                w -> {
                    double q = 0;
                    for (int i = 0; i < N; i++) {
                        double z = 0;
                        for (int j = 0; j < N; j++) {
                            z += m[i][j] * (w[j] - s[j]);
                        }
                        q += z * z;
                    }
                    return Math.log1p(q) + 0.05 * l1(w) / N;
                },
                0);
    }

    private static double sphere(double[] w, double[] s) {
        double f = 0;
        for (int i = 0; i < N; i++) {
            double d = w[i] - s[i];
            f += d * d;
        }
        return f;
    }

    private static double l1(double[] w) {
        double f = 0;
        for (double v : w) {
            f += Math.abs(v);
        }
        return f;
    }

    /** A random orthogonal matrix: Gram-Schmidt on Gaussian rows. */
    private static double[][] rotation(SplittableRandom random) {
        double[][] q = new double[N][N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                q[i][j] = gaussian(random);
            }
            for (int k = 0; k < i; k++) {
                double dot = 0;
                for (int j = 0; j < N; j++) {
                    dot += q[i][j] * q[k][j];
                }
                for (int j = 0; j < N; j++) {
                    q[i][j] -= dot * q[k][j];
                }
            }
            double norm = 0;
            for (int j = 0; j < N; j++) {
                norm += q[i][j] * q[i][j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < N; j++) {
                q[i][j] /= norm;
            }
        }
        return q;
    }
}
