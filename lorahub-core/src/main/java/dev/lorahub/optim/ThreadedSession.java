package dev.lorahub.optim;

import dev.lorahub.Evaluation;
import dev.lorahub.ObjectiveException;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.SynchronousQueue;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Turns a sequential minimizer (one that calls its objective itself, like Commons Math's BOBYQA)
 * into a session: the minimizer runs on a daemon worker thread and each of its objective calls
 * becomes one ask/tell round trip. Only one thread runs at a time, so the run is deterministic.
 * When the budget is used the worker's next objective call unwinds it; {@link #close()} stops an
 * abandoned one.
 */
final class ThreadedSession extends BaseSession {
    /** The minimizer: calls the objective until it is done or the objective throws. */
    @FunctionalInterface
    interface SequentialMinimizer {
        void run(ToDoubleFunction<double[]> objective);
    }

    /**
     * Runs the minimizer on the calling thread, with the same bookkeeping as a session driven by
     * {@link AskTellOptimizer#minimize}: the same points, history, best point and exceptions,
     * without a worker thread.
     */
    static OptimizationResult runDirect(
            SearchSpace space,
            int budget,
            SequentialMinimizer minimizer,
            ToDoubleFunction<double[]> objective,
            OptimizationListener listener) {
        DirectSession session = new DirectSession(space, budget, objective, listener);
        try {
            minimizer.run(session::evaluate);
        } catch (Stop e) {
            // budget used
        }
        session.ask(); // empty: marks the run CONVERGED if the minimizer stopped early
        return session.result();
    }

    /** A session the minimizer pushes points into, one at a time. */
    private static final class DirectSession extends BaseSession {
        private final ToDoubleFunction<double[]> objective;
        private final OptimizationListener listener;
        private final NonFinitePenalty penalty = new NonFinitePenalty();
        private double @Nullable [] next;

        DirectSession(
                SearchSpace space,
                int budget,
                ToDoubleFunction<double[]> objective,
                OptimizationListener listener) {
            super(space, budget);
            this.objective = Objects.requireNonNull(objective, "objective");
            this.listener = Objects.requireNonNull(listener, "listener");
        }

        @Override
        protected List<double[]> propose(int remaining) {
            double[] p = next;
            next = null;
            return p == null ? List.of() : List.of(p);
        }

        @Override
        protected void observe(List<double[]> points, double[] values) {}

        double evaluate(double[] x) {
            if (evaluations() >= budget()) {
                throw new Stop();
            }
            next = x.clone();
            double[] point = ask().get(0);
            double value;
            try {
                value = objective.applyAsDouble(point.clone());
            } catch (RuntimeException e) {
                throw new ObjectiveException(evaluations() + 1, point, e);
            }
            tell(new double[] {value});
            List<Evaluation> history = history();
            listener.evaluated(history.get(history.size() - 1), best().orElseThrow(), budget());
            return penalty.map(value);
        }
    }

    private static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop() {
            super(null, null, false, false);
        }
    }

    private static final Object DONE = new Object();

    private final SequentialMinimizer minimizer;
    private final NonFinitePenalty penalty = new NonFinitePenalty();
    private final SynchronousQueue<Object> toCaller = new SynchronousQueue<>();
    private final SynchronousQueue<Double> toWorker = new SynchronousQueue<>();
    private Thread worker;
    private int handedOut;
    private volatile boolean closed;

    ThreadedSession(SearchSpace space, int budget, SequentialMinimizer minimizer) {
        super(space, budget);
        this.minimizer = minimizer;
    }

    @Override
    protected List<double[]> propose(int remaining) {
        if (worker == null) {
            worker = new Thread(this::work, "lorahub-optimizer");
            worker.setDaemon(true);
            worker.start();
        }
        Object next = take();
        if (next instanceof double[] point) {
            return List.of(point);
        }
        if (next instanceof RuntimeException e) {
            throw e;
        }
        return List.of();
    }

    @Override
    protected void observe(List<double[]> points, double[] values) {
        try {
            toWorker.put(penalty.map(values[0]));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while resuming the optimizer", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (worker != null) {
            worker.interrupt();
        }
    }

    private Object take() {
        try {
            return toCaller.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the optimizer", e);
        }
    }

    private void work() {
        Object last = DONE;
        try {
            minimizer.run(this::evaluate);
        } catch (Stop e) {
            return;
        } catch (RuntimeException e) {
            last = e;
        }
        try {
            if (!closed) {
                toCaller.put(last);
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private double evaluate(double[] x) {
        if (closed || handedOut >= budget()) {
            throw new Stop();
        }
        handedOut++;
        try {
            toCaller.put(x.clone());
            return toWorker.take();
        } catch (InterruptedException e) {
            throw new Stop();
        }
    }
}
