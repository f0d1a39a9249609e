package dev.lorahub.optim;

import dev.lorahub.Evaluation;
import dev.lorahub.GradientOptimizer;
import dev.lorahub.ObjectiveException;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Adam (Kingma and Ba 2015) projected onto the box: {@code m = b1 m + (1 - b1) g}, {@code v = b2 v
 * + (1 - b2) g^2}, {@code x = clip(x - lr_t (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps))},
 * {@code b1 = 0.9}, {@code b2 = 0.999} unless {@link #withBetas} says otherwise, {@code eps =
 * 1e-8}, from the space's start point. The rate {@code lr_t} is constant unless {@link
 * #withSchedule} sets a warm-up and a decay over the run's known step count ({@link
 * #learningRate(int, int)}). Each step evaluates value and gradient at the current point
 * ({@value GradientOptimizer#COST_PER_STEP} forward-equivalents), so a budget {@code B} runs
 * {@code floor(B / 3)} steps; the result is the best point evaluated. Nothing is random: the seed
 * is accepted for the contract and unused.
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

    /**
     * How the learning rate falls over a run after the warm-up, with {@code p = (t - W - 1) / (T -
     * W)} the fraction of the post-warm-up steps already taken ({@code t} the step from 1, {@code
     * T} the run's steps, {@code W} the warm-up steps), {@code p = 0} at the first one.
     */
    public enum Decay {
        /** {@code lr_t = lr}. */
        CONSTANT,
        /** {@code lr_t = lr (1 - p)}: the last step takes {@code lr / (T - W)}. */
        LINEAR,
        /** {@code lr_t = lr (1 + cos(pi p)) / 2}. */
        COSINE
    }

    private final double learningRate;
    private final Decay decay;
    private final int warmup;
    private final double beta1;
    private final double beta2;

    /** Adam at {@link #DEFAULT_LEARNING_RATE}. */
    public AdamOptimizer() {
        this(DEFAULT_LEARNING_RATE);
    }

    /**
     * @param learningRate the step size, finite and positive
     */
    public AdamOptimizer(double learningRate) {
        this(learningRate, Decay.CONSTANT, 0, BETA1, BETA2);
    }

    private AdamOptimizer(
            double learningRate, Decay decay, int warmup, double beta1, double beta2) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException(
                    "learning rate must be finite and > 0, got " + learningRate);
        }
        this.learningRate = learningRate;
        this.decay = decay;
        this.warmup = warmup;
        this.beta1 = beta1;
        this.beta2 = beta2;
    }

    /**
     * The same Adam with a learning-rate schedule over the run's {@code T} steps (known from the
     * budget): {@code lr_t = lr t / (W + 1)} for the {@code W} warm-up steps {@code t <= W}, then
     * {@code decay} from the peak {@code lr} (see {@link Decay}).
     *
     * @param decay how the rate falls after the warm-up
     * @param warmupSteps {@code W}, at least 0
     * @return a new optimizer
     */
    public AdamOptimizer withSchedule(Decay decay, int warmupSteps) {
        Objects.requireNonNull(decay, "decay");
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
        return new AdamOptimizer(learningRate, decay, warmupSteps, beta1, beta2);
    }

    /**
     * The same Adam with other moment decay rates.
     *
     * @param beta1 the first moment's, in [0, 1)
     * @param beta2 the second moment's, in [0, 1)
     * @return a new optimizer
     */
    public AdamOptimizer withBetas(double beta1, double beta2) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(
                    "betas must be in [0, 1), got beta1 " + beta1 + ", beta2 " + beta2);
        }
        return new AdamOptimizer(learningRate, decay, warmup, beta1, beta2);
    }

    /**
     * @return the peak step size
     */
    public double learningRate() {
        return learningRate;
    }

    /**
     * @param t the step, from 1
     * @param steps {@code T}, the run's steps
     * @return {@code lr_t}, the step size of step {@code t} under this optimizer's schedule
     * @throws IllegalArgumentException unless {@code 1 <= t <= steps}
     */
    public double learningRate(int t, int steps) {
        if (t < 1 || t > steps) {
            throw new IllegalArgumentException(
                    "step must be in [1, " + steps + "] (the run's steps), got " + t);
        }
        if (t <= warmup) {
            return learningRate * t / (warmup + 1);
        }
        double p = (double) (t - warmup - 1) / (steps - warmup);
        return switch (decay) {
            case CONSTANT -> learningRate;
            case LINEAR -> learningRate * (1 - p);
            case COSINE -> learningRate * (1 + Math.cos(Math.PI * p)) / 2;
        };
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
            double bc1 = 1 - Math.pow(beta1, t);
            double bc2 = 1 - Math.pow(beta2, t);
            double lr = learningRate(t, steps);
            for (int i = 0; i < n; i++) {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                double step = lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + EPS);
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
        return "AdamOptimizer[lr="
                + learningRate
                + (decay == Decay.CONSTANT && warmup == 0
                        ? ""
                        : ", decay=" + decay + ", warmup=" + warmup)
                + (beta1 == BETA1 && beta2 == BETA2 ? "" : ", betas=" + beta1 + "/" + beta2)
                + "]";
    }
}
