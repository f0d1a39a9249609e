package dev.lorahub.optim;

import dev.lorahub.Evaluation;
import dev.lorahub.GradientOptimizer;
import dev.lorahub.ObjectiveException;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;

import java.util.ArrayList;
import java.util.List;

/**
 * Steepest descent with a line search along {@code -g}, projected onto the box: a gradient
 * optimizer for short budgets (beyond the paper).
 *
 * <p>Each iteration evaluates value and gradient at the current point {@code x} ({@value
 * GradientOptimizer#COST_PER_STEP} forward-equivalents) and searches along {@code d = -g / max_i
 * |g_i|}: a probe {@code x + t d}, clipped to the box, is one forward ({@link
 * GradientObjective#value}). {@code t} is how far the weight with the largest derivative moves, so
 * a step moves each weight in proportion to its derivative (Adam's first steps move every weight by
 * about its learning rate, whatever its derivative). The line search fits the parabola through the
 * value {@code f(x)}, the slope {@code g . d} and the probe's value, and probes the parabola's
 * minimum next (within a factor 4 of the last probe; twice the probe when the parabola opens
 * downwards), until a probe lowers the value and the parabola's minimum lies within a factor 1.5 of
 * it, or after {@link #maxProbes()} probes. The lowest probe becomes {@code x}. The first trial
 * {@code t} is {@link #initialStep()}, later ones the last accepted {@code t}. The run ends when no
 * probe of an iteration lowers the value or the gradient is zero ({@link
 * OptimizationResult.State#CONVERGED}), or when the budget no longer holds a gradient and a probe.
 * The result is the best point evaluated. Nothing is random: the seed is unused.
 *
 * <p>On the embedded hub (all 30 modules, three draws) it scores more exact match than {@link
 * AdamOptimizer} at {@link dev.lorahub.Recipe#BEST}'s rate below 60 forward-equivalents (5.4%
 * against 1.0% at 20, 16.1% against 12.8% at 45) and less at 225 (docs/hub-and-demo.md); at 20 to
 * 90 it scores less than {@link dev.lorahub.Recipe#SHORT}'s Adam on one-example mini-batches (24.7%
 * at 20).
 */
public final class DescentOptimizer implements GradientOptimizer {
    /** The first trial step, as the move of the weight with the largest derivative. */
    public static final double DEFAULT_INITIAL_STEP = 0.25;

    /** Probes per line search at most. */
    public static final int DEFAULT_MAX_PROBES = 4;

    private final double initialStep;
    private final int maxProbes;

    /** Descent with {@link #DEFAULT_INITIAL_STEP} and {@link #DEFAULT_MAX_PROBES}. */
    public DescentOptimizer() {
        this(DEFAULT_INITIAL_STEP, DEFAULT_MAX_PROBES);
    }

    /**
     * @param initialStep the first trial step (the largest weight's move), finite and > 0
     * @param maxProbes the probes per line search at most, at least 1
     */
    public DescentOptimizer(double initialStep, int maxProbes) {
        if (!(initialStep > 0) || Double.isInfinite(initialStep)) {
            throw new IllegalArgumentException(
                    "initial step must be finite and > 0, got " + initialStep);
        }
        if (maxProbes < 1) {
            throw new IllegalArgumentException("max probes must be >= 1, got " + maxProbes);
        }
        this.initialStep = initialStep;
        this.maxProbes = maxProbes;
    }

    /**
     * @return the first trial step, as the move of the weight with the largest derivative
     */
    public double initialStep() {
        return initialStep;
    }

    /**
     * @return the probes per line search at most
     */
    public int maxProbes() {
        return maxProbes;
    }

    @Override
    public String name() {
        return "descent";
    }

    /** One gradient, then a probe per remaining forward-equivalent. */
    @Override
    public int maxEvaluations(int budget) {
        return Math.max(0, budget - COST_PER_STEP + 1);
    }

    @Override
    public OptimizationResult minimize(
            GradientObjective objective, SearchSpace space, int budget, long seed) {
        GradientBudget.requireOneStep("descent", objective, space, budget);
        Run run = new Run(objective, space);
        double[] x = space.start();
        double t = initialStep;
        boolean converged = false;
        // the first gradient always; later ones only with room for a probe after them
        while (run.spent == 0 || run.spent + COST_PER_STEP + 1 <= budget) {
            double[] g = new double[x.length];
            double f = run.valueAndGradient(x, g);
            double scale = maxAbs(g);
            if (!Double.isFinite(f) || !Double.isFinite(scale)) {
                break;
            }
            if (scale == 0 || run.spent + 1 > budget) {
                converged = scale == 0;
                break;
            }
            double[] d = new double[g.length];
            double slope = 0; // f'(0) along d
            for (int i = 0; i < d.length; i++) {
                d[i] = -g[i] / scale;
                slope += d[i] * g[i];
            }
            double bestT = 0;
            double bestF = f;
            double trial = t;
            int probes = 0;
            while (probes < maxProbes && run.spent + 1 <= budget) {
                double ft = run.value(run.clip(x, d, trial));
                probes++;
                if (ft < bestF) {
                    bestF = ft;
                    bestT = trial;
                }
                double curvature = (ft - f - slope * trial) / (trial * trial);
                double minimum = curvature > 0 ? -slope / (2 * curvature) : 2 * trial;
                if (ft < f && minimum <= trial * 1.5 && minimum >= trial / 1.5) {
                    break; // lowered, and the parabola puts its minimum near the probe
                }
                trial = Math.max(trial / 4, Math.min(trial * 4, minimum));
            }
            if (bestT == 0) {
                converged = probes == maxProbes; // every probe failed, not the budget
                break;
            }
            x = run.clip(x, d, bestT);
            t = bestT;
        }
        return run.result(converged);
    }

    /** The evaluations of one run, its spending and its best point. */
    private static final class Run {
        final GradientObjective objective;
        final double[] lower;
        final double[] upper;
        final double[] start;
        final List<Evaluation> history = new ArrayList<>();
        Evaluation best;
        int spent;

        Run(GradientObjective objective, SearchSpace space) {
            this.objective = objective;
            this.lower = space.lower();
            this.upper = space.upper();
            this.start = space.start();
        }

        double[] clip(double[] x, double[] d, double t) {
            double[] y = new double[x.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = Math.min(upper[i], Math.max(lower[i], x[i] + t * d[i]));
            }
            return y;
        }

        double valueAndGradient(double[] x, double[] g) {
            spent += COST_PER_STEP;
            double f;
            try {
                f = objective.valueAndGradient(x.clone(), g);
            } catch (RuntimeException e) {
                throw new ObjectiveException(history.size() + 1, x.clone(), e);
            }
            return record(x, f);
        }

        double value(double[] x) {
            spent += 1;
            double f;
            try {
                f = objective.value(x.clone());
            } catch (RuntimeException e) {
                throw new ObjectiveException(history.size() + 1, x.clone(), e);
            }
            return record(x, f);
        }

        private double record(double[] x, double f) {
            Evaluation e = new Evaluation(history.size() + 1, x.clone(), f);
            history.add(e);
            if (Double.isFinite(f) && (best == null || f < best.value())) {
                best = e;
            }
            return Double.isFinite(f) ? f : Double.POSITIVE_INFINITY;
        }

        OptimizationResult result(boolean converged) {
            if (best == null) {
                return new OptimizationResult(
                        start,
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
                    converged
                            ? OptimizationResult.State.CONVERGED
                            : OptimizationResult.State.COMPLETED);
        }
    }

    private static double maxAbs(double[] g) {
        double m = 0;
        for (double v : g) {
            if (!Double.isFinite(v)) {
                return Double.NaN;
            }
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Override
    public String toString() {
        return "DescentOptimizer[initialStep=" + initialStep + ", maxProbes=" + maxProbes + "]";
    }
}
