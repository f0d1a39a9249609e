package dev.lorahub.optim;

import dev.lorahub.SearchSpace;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * A model-based trust-region method for tiny budgets, in the spirit of Powell's NEWUOA, started
 * like COBYLA.
 *
 * <p>Coordinates are scaled as nevergrad scales them for COBYLA: {@code z = (w - start) / sigma},
 * {@code sigma = (upper - lower) / 6}. The run starts as COBYLA does: the start point, then one
 * probe of {@code +r} ({@code -r} where that leaves the box) per axis from the best point so far
 * (so an improving probe is kept: a pass of coordinate descent). Then each step fits a quadratic
 * model to the nearest {@code k N + 1} points evaluated ({@link QuadraticModel}: interpolation,
 * least change of the Hessian since the previous model), minimizes it in a ball of radius {@code
 * delta} around the best point ({@link TrustRegionStep}), clips the step into the box and evaluates
 * it. As in NEWUOA there are two radii: {@code delta} follows the ratio of actual to predicted
 * reduction (halved below 0.1, up to twice the step above 0.7) but never goes below the resolution
 * {@code rho}; {@code rho} (initially r) is halved only after a failed step at {@code rho} followed
 * by a geometry step (a random direction of length {@code rho}, from the seed) that renews the
 * model. Defaults: {@code r = 1} sigma, {@code k = 2}.
 */
public final class QuadraticTrustRegionOptimizer implements AskTellOptimizer {
    private static final int GEOMETRY_STEPS = 1;
    private static final double RHO_FACTOR = 0.5;
    private final double initialRadius;
    private final int maxPointsPerDimension;
    private final boolean batchedProbes;

    /** Sequential probes, an initial radius of 1 (one sigma) and 2N+1 model points. */
    public QuadraticTrustRegionOptimizer() {
        this(1.0, 2, false);
    }

    /**
     * @param initialRadius the probe length and first trust radius, in units of sigma, positive
     * @param maxPointsPerDimension the model uses up to {@code k*N + 1} points, k at least 1
     * @param batchedProbes probe every axis from the start in one batch, then evaluate the start
     *     moved along every improving axis; otherwise probe one axis at a time from the best point
     */
    public QuadraticTrustRegionOptimizer(
            double initialRadius, int maxPointsPerDimension, boolean batchedProbes) {
        if (!(initialRadius > 0) || maxPointsPerDimension < 1) {
            throw new IllegalArgumentException(
                    "need initialRadius > 0 and maxPointsPerDimension >= 1,"
                            + " got "
                            + initialRadius
                            + " and "
                            + maxPointsPerDimension);
        }
        this.initialRadius = initialRadius;
        this.maxPointsPerDimension = maxPointsPerDimension;
        this.batchedProbes = batchedProbes;
    }

    @Override
    public String name() {
        return batchedProbes ? "quadratic-batch" : "quadratic";
    }

    @Override
    public Session start(SearchSpace space, int budget, long seed) {
        return new TrustRegionSession(space, budget, seed);
    }

    private final class TrustRegionSession extends BaseSession {
        private final double[] origin;
        private final double[] sigma;
        private final double[] zLow;
        private final double[] zHigh;
        private final SplittableRandom random;
        private final List<double[]> zs = new ArrayList<>();
        private final List<Double> fs = new ArrayList<>();
        private double[][] hessian;
        private final double[][] basis;
        private int center = -1;
        private double delta;
        private double rho;
        private int failuresAtRho;
        private boolean probesDone;
        private double predicted;
        private double stepLength;
        private boolean modelStep;

        TrustRegionSession(SearchSpace space, int budget, long seed) {
            super(space, budget);
            random = new SplittableRandom(seed);
            origin = start();
            sigma = new double[dimension];
            zLow = new double[dimension];
            zHigh = new double[dimension];
            for (int i = 0; i < dimension; i++) {
                sigma[i] = (upper[i] - lower[i]) / 6.0;
                zLow[i] = (lower[i] - origin[i]) / sigma[i];
                zHigh[i] = (upper[i] - origin[i]) / sigma[i];
            }
            hessian = new double[dimension][dimension];
            basis = new double[dimension][dimension];
            for (int i = 0; i < dimension; i++) {
                basis[i][i] = 1;
            }
            delta = initialRadius;
            rho = initialRadius;
        }

        @Override
        protected List<double[]> propose(int remaining) {
            if (zs.isEmpty()) {
                return List.of(origin.clone());
            }
            if (batchedProbes) {
                if (zs.size() == 1) {
                    List<double[]> probes = new ArrayList<>();
                    for (int axis = 0; axis < Math.min(dimension, remaining); axis++) {
                        probes.add(toW(probe(new double[dimension], axis)));
                    }
                    return probes;
                }
                if (!probesDone) {
                    probesDone = true;
                    double[] combined = combinedProbes();
                    if (combined != null) {
                        return List.of(toW(combined));
                    }
                }
            } else if (zs.size() <= dimension) {
                // one probe per axis from the best point so far, as COBYLA's initial simplex
                double[] from = center >= 0 ? zs.get(center) : new double[dimension];
                return List.of(toW(probe(from, zs.size() - 1)));
            } else if (!probesDone) {
                // the probes moved the best point: let the first steps be as long
                probesDone = true;
                if (center >= 0) {
                    delta = Math.max(delta, 0.5 * Math.sqrt(distance2(zs.get(center), zs.get(0))));
                }
            }
            return List.of(toW(nextStep()));
        }

        /**
         * @return {@code from} moved by r along the axis (by -r where +r leaves the box)
         */
        private double[] probe(double[] from, int axis) {
            double[] z = from.clone();
            z[axis] =
                    z[axis] + initialRadius <= zHigh[axis]
                            ? z[axis] + initialRadius
                            : z[axis] - initialRadius;
            return z;
        }

        /**
         * @return the start moved along every axis whose probe improved, or null if fewer than 2
         */
        private double @Nullable [] combinedProbes() {
            double[] z = new double[dimension];
            int improving = 0;
            for (int k = 1; k < zs.size(); k++) {
                if (Ranking.better(fs.get(k), fs.get(0))) {
                    z[k - 1] = zs.get(k)[k - 1];
                    improving++;
                }
            }
            return improving >= 2 ? z : null;
        }

        @Override
        protected void observe(List<double[]> points, double[] values) {
            double centerValue = center >= 0 ? fs.get(center) : Double.NaN;
            for (int k = 0; k < points.size(); k++) {
                zs.add(toZ(points.get(k)));
                fs.add(values[k]);
                if (Double.isFinite(values[k]) && (center < 0 || values[k] < fs.get(center))) {
                    center = zs.size() - 1;
                }
            }
            if (!modelStep) {
                return;
            }
            modelStep = false;
            double f = values[0];
            double ratio = Double.isFinite(f) ? (centerValue - f) / predicted : -1;
            if (ratio <= 0.1) {
                delta = 0.5 * stepLength;
            } else if (ratio <= 0.7) {
                delta = Math.max(0.5 * delta, stepLength);
            } else {
                delta = Math.max(0.5 * delta, 2 * stepLength);
            }
            if (delta <= 1.5 * rho) {
                delta = rho;
            }
            if (ratio <= 0.1 && stepLength <= 1.01 * rho) {
                failuresAtRho++;
            } else if (ratio > 0.1) {
                failuresAtRho = 0;
            }
        }

        private double[] nextStep() {
            modelStep = false;
            if (center < 0) {
                return randomStep(zs.get(zs.size() - 1), delta);
            }
            for (int guard = 0; guard < 100; guard++) {
                double[] zc = zs.get(center);
                if (failuresAtRho > 0 && failuresAtRho <= GEOMETRY_STEPS) {
                    failuresAtRho++;
                    return randomStep(zc, rho);
                }
                if (failuresAtRho > GEOMETRY_STEPS) {
                    rho *= RHO_FACTOR;
                    delta = Math.max(0.5 * delta, rho);
                    failuresAtRho = 0;
                }
                double[] z = modelStep(zc);
                if (z != null) {
                    return z;
                }
                failuresAtRho = Math.max(failuresAtRho, 1); // model sees no decrease at this rho
            }
            return randomStep(zs.get(center), rho);
        }

        /**
         * @return the trust-region step's point, or null if it is shorter than rho / 2
         */
        private double @Nullable [] modelStep(double[] zc) {
            double fc = fs.get(center);
            List<Integer> order = new ArrayList<>();
            for (int k = 0; k < zs.size(); k++) {
                if (Double.isFinite(fs.get(k))) {
                    order.add(k);
                }
            }
            order.sort(Comparator.comparingDouble(k -> distance2(zs.get(k), zc)));
            int m = Math.min(order.size(), maxPointsPerDimension * dimension + 1);
            List<double[]> ys = new ArrayList<>(m);
            double[] values = new double[m];
            for (int t = 0; t < m; t++) {
                int k = order.get(t);
                double[] y = new double[dimension];
                for (int i = 0; i < dimension; i++) {
                    y[i] = zs.get(k)[i] - zc[i];
                }
                ys.add(y);
                values[t] = fs.get(k) - fc;
            }
            QuadraticModel model = m > dimension ? QuadraticModel.fit(ys, values, hessian) : null;
            if (model == null) {
                return null;
            }
            hessian = model.h();
            double[] d = TrustRegionStep.solve(model.g(), model.h(), delta, basis);
            double[] z = new double[dimension];
            double len2 = 0;
            for (int i = 0; i < dimension; i++) {
                z[i] = Math.min(zHigh[i], Math.max(zLow[i], zc[i] + d[i]));
                d[i] = z[i] - zc[i];
                len2 += d[i] * d[i];
            }
            double change = model.change(d);
            if (!(change < 0) || Math.sqrt(len2) < 0.5 * rho) {
                return null;
            }
            modelStep = true;
            predicted = -change;
            stepLength = Math.sqrt(len2);
            return z;
        }

        private double[] randomStep(double[] zc, double length) {
            double[] dir = new double[dimension];
            double norm = 0;
            for (int i = 0; i < dimension; i++) {
                dir[i] = random.nextDouble(-1, 1);
                norm += dir[i] * dir[i];
            }
            norm = Math.sqrt(norm);
            double[] z = new double[dimension];
            for (int i = 0; i < dimension; i++) {
                z[i] = Math.min(zHigh[i], Math.max(zLow[i], zc[i] + length * dir[i] / norm));
            }
            return z;
        }

        private double[] toW(double[] z) {
            double[] w = new double[dimension];
            for (int i = 0; i < dimension; i++) {
                w[i] = origin[i] + sigma[i] * z[i];
            }
            return w;
        }

        private double[] toZ(double[] w) {
            double[] z = new double[dimension];
            for (int i = 0; i < dimension; i++) {
                z[i] = (w[i] - origin[i]) / sigma[i];
            }
            return z;
        }

        private double distance2(double[] a, double[] b) {
            double s = 0;
            for (int i = 0; i < a.length; i++) {
                s += (a[i] - b[i]) * (a[i] - b[i]);
            }
            return s;
        }
    }
}
