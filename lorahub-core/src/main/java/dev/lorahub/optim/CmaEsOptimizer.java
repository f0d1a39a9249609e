package dev.lorahub.optim;

import dev.lorahub.SearchSpace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * CMA-ES ((mu/mu_w, lambda), rank-one and rank-mu covariance updates, cumulative step-size
 * adaptation; Hansen's tutorial defaults) for small budgets, in coordinates scaled by {@code
 * sigma_i = (upper_i - lower_i) / 6} with initial step 1 (0.5 on LoraHub's box) and mean at the
 * start point.
 *
 * <p>Small-budget choices: the start point is evaluated first (outside the generations), and the
 * population is {@code lambda = min(4 + floor(3 ln N), max(4, budget / 5))} so there are at least
 * about five generations. Samples are bounced into the box and the bounced point is the one used in
 * the update. A generation cut by the budget is evaluated in part; its points count for the best
 * point (which is the best ever evaluated, not the last mean).
 */
public final class CmaEsOptimizer implements AskTellOptimizer {
    @Override
    public String name() {
        return "cmaes";
    }

    @Override
    public Session start(SearchSpace space, int budget, long seed) {
        return new CmaSession(space, budget, seed);
    }

    private static final class CmaSession extends BaseSession {
        private final SplittableRandom random;
        private final double[] origin;
        private final double[] scale;
        private final int lambda;
        private final int mu;
        private final double[] weights;
        private final double mueff;
        private final double cs;
        private final double ds;
        private final double cc;
        private final double c1;
        private final double cmu;
        private final double chi;
        private final double[] mean;
        private final double[] ps;
        private final double[] pc;
        private final double[][] c;
        private final double[][] b;
        private final double[] d;
        private double sigma = 1.0;
        private boolean startDone;
        private List<double[]> samples;

        CmaSession(SearchSpace space, int budget, long seed) {
            super(space, budget);
            random = new SplittableRandom(seed);
            int n = dimension;
            origin = start();
            scale = new double[n];
            for (int i = 0; i < n; i++) {
                scale[i] = (upper[i] - lower[i]) / 6.0;
            }
            lambda = Math.min(4 + (int) Math.floor(3 * Math.log(n)), Math.max(4, budget / 5));
            mu = lambda / 2;
            weights = new double[mu];
            double sum = 0;
            for (int i = 0; i < mu; i++) {
                weights[i] = Math.log(mu + 0.5) - Math.log(i + 1);
                sum += weights[i];
            }
            double sum2 = 0;
            for (int i = 0; i < mu; i++) {
                weights[i] /= sum;
                sum2 += weights[i] * weights[i];
            }
            mueff = 1 / sum2;
            cs = (mueff + 2) / (n + mueff + 5);
            ds = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
            cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n);
            c1 = 2 / ((n + 1.3) * (n + 1.3) + mueff);
            cmu = Math.min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) * (n + 2) + mueff));
            chi = Math.sqrt(n) * (1 - 1.0 / (4 * n) + 1.0 / (21.0 * n * n));
            mean = new double[n];
            ps = new double[n];
            pc = new double[n];
            c = new double[n][n];
            b = new double[n][n];
            d = new double[n];
            for (int i = 0; i < n; i++) {
                c[i][i] = 1;
                b[i][i] = 1;
                d[i] = 1;
            }
        }

        @Override
        protected List<double[]> propose(int remaining) {
            if (!startDone) {
                startDone = true;
                samples = null;
                return List.of(origin.clone());
            }
            int count = Math.min(lambda, remaining);
            samples = new ArrayList<>(count);
            List<double[]> points = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                double[] z = new double[dimension];
                for (int i = 0; i < dimension; i++) {
                    z[i] = d[i] * Gaussian.next(random);
                }
                double[] x = new double[dimension];
                for (int i = 0; i < dimension; i++) {
                    double y = 0;
                    for (int j = 0; j < dimension; j++) {
                        y += b[i][j] * z[j];
                    }
                    double lo = (lower[i] - origin[i]) / scale[i];
                    double hi = (upper[i] - origin[i]) / scale[i];
                    x[i] = Bounce.apply(mean[i] + sigma * y, lo, hi);
                }
                samples.add(x);
                double[] w = new double[dimension];
                for (int i = 0; i < dimension; i++) {
                    w[i] = origin[i] + scale[i] * x[i];
                }
                points.add(w);
            }
            return points;
        }

        @Override
        protected void observe(List<double[]> points, double[] values) {
            if (samples == null || samples.size() < lambda) {
                return;
            }
            Integer[] order = new Integer[lambda];
            for (int k = 0; k < lambda; k++) {
                order[k] = k;
            }
            Arrays.sort(
                    order,
                    (p, q) -> Double.compare(Ranking.key(values[p]), Ranking.key(values[q])));
            update(order);
        }

        private void update(Integer[] order) {
            int n = dimension;
            double[] old = mean.clone();
            Arrays.fill(mean, 0);
            for (int r = 0; r < mu; r++) {
                double[] x = samples.get(order[r]);
                for (int i = 0; i < n; i++) {
                    mean[i] += weights[r] * x[i];
                }
            }
            double[] step = new double[n];
            for (int i = 0; i < n; i++) {
                step[i] = (mean[i] - old[i]) / sigma;
            }
            // C^(-1/2) step = B D^-1 B' step
            double[] tmp = new double[n];
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += b[i][j] * step[i];
                }
                tmp[j] = s / d[j];
            }
            double psNorm = 0;
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += b[i][j] * tmp[j];
                }
                ps[i] = (1 - cs) * ps[i] + Math.sqrt(cs * (2 - cs) * mueff) * s;
                psNorm += ps[i] * ps[i];
            }
            psNorm = Math.sqrt(psNorm);
            boolean hsig =
                    psNorm / Math.sqrt(1 - Math.pow(1 - cs, 2.0 * (evaluations() / lambda + 1)))
                            < (1.4 + 2.0 / (n + 1)) * chi;
            for (int i = 0; i < n; i++) {
                pc[i] = (1 - cc) * pc[i] + (hsig ? Math.sqrt(cc * (2 - cc) * mueff) * step[i] : 0);
            }
            double delta = hsig ? 0 : cc * (2 - cc);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double rankMu = 0;
                    for (int r = 0; r < mu; r++) {
                        double[] x = samples.get(order[r]);
                        rankMu += weights[r] * (x[i] - old[i]) * (x[j] - old[j]) / (sigma * sigma);
                    }
                    double v =
                            (1 - c1 - cmu) * c[i][j]
                                    + c1 * (pc[i] * pc[j] + delta * c[i][j])
                                    + cmu * rankMu;
                    c[i][j] = v;
                    c[j][i] = v;
                }
            }
            sigma *= Math.exp((cs / ds) * (psNorm / chi - 1));
            sigma = Math.min(sigma, 10);
            double[] eig = Dense.symmetricEigen(c, b);
            for (int i = 0; i < n; i++) {
                d[i] = Math.sqrt(Math.max(eig[i], 1e-20));
            }
        }
    }
}
