package dev.lorahub.optim;

import dev.lorahub.Evaluation;
import dev.lorahub.GradientOptimizer;
import dev.lorahub.ObjectiveException;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;

import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma and Ba 2015) projected onto the box: {@code m = b1 m + (1 - b1) g}, {@code v = b2 v
 * + (1 - b2) g^2}, {@code x = clip(x - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps))}, {@code
 * b1 = 0.9}, {@code b2 = 0.999}, {@code eps = 1e-8}, from the space's start point. Each step
 * evaluates value and gradient at the current point ({@value GradientOptimizer#COST_PER_STEP}
 * forward-equivalents), so a budget {@code B} runs {@code floor(B / 3)} steps; the result is the
 * best point evaluated. Nothing is random: the seed is accepted for the contract and unused.
 *
 * <p>A step whose value or gradient is not finite ends the run (the point is recorded; an update
 * from it would leave the finite region for good). With lr 0.02 and 75 steps a weight can travel at
 * most 1.5, the width of LoraHub's half-box: the defaults measured best on the embedded hub
 * (docs/optimizers.md).
 */
public final class AdamOptimizer implements GradientOptimizer {
    /** The learning rate that measured best on the embedded hub. */
    public static final double DEFAULT_LEARNING_RATE = 0.02;

    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private final double learningRate;

    /** Adam at {@link #DEFAULT_LEARNING_RATE}. */
    public AdamOptimizer() {
        this(DEFAULT_LEARNING_RATE);
    }

    /**
     * @param learningRate the step size, finite and positive
     */
    public AdamOptimizer(double learningRate) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException(
                    "learning rate must be finite and > 0, got " + learningRate);
        }
        this.learningRate = learningRate;
    }

    /**
     * @return the step size
     */
    public double learningRate() {
        return learningRate;
    }

    @Override
    public String name() {
        return "adam";
    }

    @Override
    public OptimizationResult minimize(
            GradientObjective objective, SearchSpace space, int budget, long seed) {
        GradientBudget.requireOneStep("adam", objective, space, budget);
        int steps = budget / COST_PER_STEP;
        int n = space.dimension();
        double[] lower = space.lower();
        double[] upper = space.upper();
        double[] x = space.start();
        double[] m = new double[n];
        double[] v = new double[n];
        List<Evaluation> history = new ArrayList<>();
        Evaluation best = null;
        for (int t = 1; t <= steps; t++) {
            double[] point = x.clone();
            double[] g = new double[n];
            double value;
            try {
                value = objective.valueAndGradient(point.clone(), g);
            } catch (RuntimeException e) {
                throw new ObjectiveException(t, point, e);
            }
            Evaluation e = new Evaluation(t, point, value);
            history.add(e);
            if (Double.isFinite(value) && (best == null || value < best.value())) {
                best = e;
            }
            if (!Double.isFinite(value) || !allFinite(g)) {
                break;
            }
            double bc1 = 1 - Math.pow(BETA1, t);
            double bc2 = 1 - Math.pow(BETA2, t);
            for (int i = 0; i < n; i++) {
                m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
                v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
                double step = learningRate * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + EPS);
                x[i] = Math.min(upper[i], Math.max(lower[i], x[i] - step));
            }
        }
        if (best == null) {
            return new OptimizationResult(
                    space.start(),
                    Double.NaN,
                    history.size(),
                    history,
                    OptimizationResult.State.FAILED);
        }
        return new OptimizationResult(
                best.point(),
                best.value(),
                history.size(),
                history,
                OptimizationResult.State.COMPLETED);
    }

    private static boolean allFinite(double[] g) {
        for (double d : g) {
            if (!Double.isFinite(d)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "AdamOptimizer[lr=" + learningRate + "]";
    }
}
