package dev.lorahub.optim;

import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.SimpleBounds;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.BOBYQAOptimizer;

/**
 * Powell's BOBYQA as Commons Math 3.6.1 implements it, wrapped for its defects: it would throw at
 * its evaluation limit (here the session stops it and keeps the best point evaluated), it needs an
 * initial radius of at most half the smallest box side (here {@code min (upper - lower) / 6}, 0.5
 * on LoraHub's box), and its default 2N+1 interpolation points spend the whole of a 2N budget
 * before the first model step (here N+2). It needs N &gt;= 2; for N = 1 the session runs {@link
 * QuadraticTrustRegionOptimizer} instead. It stops (CONVERGED) when its radius reaches {@code 1e-9}
 * times the initial one.
 *
 * <p>Commons Math's code calls the objective itself: {@link #minimize} runs it on the calling
 * thread; a {@link #start session} runs it on a worker thread ({@link Session#close()} releases
 * it). Both evaluate the same points.
 */
public final class BobyqaOptimizer implements AskTellOptimizer {
    @Override
    public String name() {
        return "bobyqa";
    }

    @Override
    public Session start(SearchSpace space, int budget, long seed) {
        if (space.dimension() < 2) {
            return new QuadraticTrustRegionOptimizer().start(space, budget, seed);
        }
        return new ThreadedSession(space, budget, minimizer(space));
    }

    /** Runs BOBYQA on the calling thread (no worker thread); the same points as a session. */
    @Override
    public OptimizationResult minimize(
            ToDoubleFunction<double[]> objective,
            SearchSpace space,
            int budget,
            long seed,
            OptimizationListener listener) {
        if (space.dimension() < 2) {
            return new QuadraticTrustRegionOptimizer()
                    .minimize(objective, space, budget, seed, listener);
        }
        return ThreadedSession.runDirect(space, budget, minimizer(space), objective, listener);
    }

    private static ThreadedSession.SequentialMinimizer minimizer(SearchSpace space) {
        int n = space.dimension();
        double[] lower = space.lower();
        double[] upper = space.upper();
        double radius = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            radius = Math.min(radius, (upper[i] - lower[i]) / 6.0);
        }
        double rho0 = radius;
        double[] start = space.start();
        return objective -> {
            BOBYQAOptimizer bobyqa = new BOBYQAOptimizer(n + 2, rho0, rho0 * 1e-9);
            bobyqa.optimize(
                    new MaxEval(Integer.MAX_VALUE),
                    new ObjectiveFunction(objective::applyAsDouble),
                    GoalType.MINIMIZE,
                    new InitialGuess(start),
                    new SimpleBounds(lower, upper));
        };
    }
}
