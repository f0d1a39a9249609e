package dev.lorahub.optim;

import dev.lorahub.Evaluation;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The bookkeeping every session shares: budget, box, history, best so far, ask/tell order. A
 * subclass proposes points ({@link #propose(int)}) and learns their values ({@link #observe}).
 */
abstract class BaseSession implements Session {
    protected final SearchSpace space;
    protected final int dimension;
    protected final double[] lower;
    protected final double[] upper;
    private final double[] startPoint;
    private final int budget;
    private final List<Evaluation> history = new ArrayList<>();
    private Evaluation best;
    private List<double[]> pending;
    private boolean stopped;

    BaseSession(SearchSpace space, int budget) {
        this.space = Objects.requireNonNull(space, "space");
        if (budget < 1) {
            throw new IllegalArgumentException("budget must be >= 1, got " + budget);
        }
        this.budget = budget;
        this.dimension = space.dimension();
        this.lower = space.lower();
        this.upper = space.upper();
        this.startPoint = space.start();
    }

    /**
     * @param remaining the evaluations left, at least 1
     * @return 1..remaining points to evaluate next (they are clipped into the box), or an empty
     *     list if the optimizer has stopped by itself
     */
    protected abstract List<double[]> propose(int remaining);

    /**
     * @param points the points of the last proposal as evaluated (clipped into the box)
     * @param values their values, in order, possibly NaN or infinite
     */
    protected abstract void observe(List<double[]> points, double[] values);

    @Override
    public final List<double[]> ask() {
        if (pending != null) {
            throw new IllegalStateException(
                    "tell the " + pending.size() + " values of the previous ask first");
        }
        int remaining = budget - history.size();
        if (stopped || remaining <= 0) {
            return List.of();
        }
        List<double[]> proposed = propose(remaining);
        if (proposed.isEmpty()) {
            stopped = true;
            return List.of();
        }
        if (proposed.size() > remaining) {
            throw new IllegalStateException(
                    "proposed "
                            + proposed.size()
                            + " points with "
                            + remaining
                            + " evaluations left");
        }
        List<double[]> clipped = new ArrayList<>(proposed.size());
        List<double[]> copies = new ArrayList<>(proposed.size());
        for (double[] p : proposed) {
            double[] c = clip(p);
            clipped.add(c);
            copies.add(c.clone());
        }
        pending = clipped;
        return copies;
    }

    @Override
    public final void tell(double[] values) {
        if (pending == null) {
            throw new IllegalStateException("tell without a pending ask");
        }
        if (values.length != pending.size()) {
            throw new IllegalArgumentException(
                    "told " + values.length + " values for " + pending.size() + " asked points");
        }
        List<double[]> points = pending;
        pending = null;
        for (int i = 0; i < values.length; i++) {
            Evaluation e = new Evaluation(history.size() + 1, points.get(i), values[i]);
            history.add(e);
            if (best == null || Ranking.better(e, best)) {
                best = e;
            }
        }
        observe(points, values.clone());
    }

    @Override
    public final boolean isFinished() {
        return stopped || history.size() >= budget;
    }

    @Override
    public final int evaluations() {
        return history.size();
    }

    @Override
    public final int budget() {
        return budget;
    }

    @Override
    public final Optional<Evaluation> best() {
        return Optional.ofNullable(best);
    }

    @Override
    public final List<Evaluation> history() {
        return List.copyOf(history);
    }

    @Override
    public final OptimizationResult result() {
        if (best == null) {
            throw new IllegalStateException("no evaluation was told yet");
        }
        OptimizationResult.State state;
        if (!Double.isFinite(best.value())) {
            state = OptimizationResult.State.FAILED;
        } else if (stopped && history.size() < budget) {
            state = OptimizationResult.State.CONVERGED;
        } else {
            state = OptimizationResult.State.COMPLETED;
        }
        return new OptimizationResult(best.point(), best.value(), history.size(), history, state);
    }

    /**
     * @return the start point of the space
     */
    protected final double[] start() {
        return space.start();
    }

    /**
     * @return the best finite value so far, or NaN
     */
    protected final double bestFiniteValue() {
        return best != null && Double.isFinite(best.value()) ? best.value() : Double.NaN;
    }

    /**
     * @return a copy of {@code p} clipped into the box (a NaN coordinate becomes the start's)
     */
    protected final double[] clip(double[] p) {
        if (p.length != dimension) {
            throw new IllegalStateException(
                    "point has " + p.length + " coordinates, space has " + dimension);
        }
        double[] c = new double[dimension];
        for (int i = 0; i < dimension; i++) {
            double v = Double.isNaN(p[i]) ? startPoint[i] : p[i];
            c[i] = Math.min(upper[i], Math.max(lower[i], v));
        }
        return c;
    }
}
