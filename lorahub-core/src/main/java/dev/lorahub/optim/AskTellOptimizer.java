package dev.lorahub.optim;

import dev.lorahub.Evaluation;
import dev.lorahub.ObjectiveException;
import dev.lorahub.OptimizationResult;
import dev.lorahub.Optimizer;
import dev.lorahub.SearchSpace;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * An {@link Optimizer} that can also run in ask/tell form ({@link #start}) so that a backend can
 * evaluate several candidates in one batch. {@link #minimize} is the ask/tell loop, so both forms
 * evaluate the same points in the same order for the same seed.
 */
public interface AskTellOptimizer extends Optimizer {
    /**
     * @param space the box and the start point
     * @param budget the maximum number of evaluations, at least 1
     * @param seed the seed of every random choice
     * @return a fresh session
     */
    Session start(SearchSpace space, int budget, long seed);

    @Override
    default OptimizationResult minimize(
            ToDoubleFunction<double[]> objective, SearchSpace space, int budget, long seed) {
        return minimize(objective, space, budget, seed, OptimizationListener.NONE);
    }

    /**
     * Like {@link #minimize(ToDoubleFunction, SearchSpace, int, long)} with progress reports.
     *
     * @param objective the function to minimize
     * @param space the box and the start point
     * @param budget the maximum number of evaluations
     * @param seed the seed
     * @param listener told of every evaluation
     * @return the best point evaluated, the history and the state
     * @throws ObjectiveException if the objective throws, with the evaluation number and point
     */
    default OptimizationResult minimize(
            ToDoubleFunction<double[]> objective,
            SearchSpace space,
            int budget,
            long seed,
            OptimizationListener listener) {
        Objects.requireNonNull(objective, "objective");
        Session session = start(space, budget, seed);
        return drive(
                session,
                points -> {
                    double[] values = new double[points.size()];
                    for (int i = 0; i < values.length; i++) {
                        double[] point = points.get(i);
                        try {
                            values[i] = objective.applyAsDouble(point.clone());
                        } catch (RuntimeException e) {
                            throw new ObjectiveException(session.evaluations() + i + 1, point, e);
                        }
                    }
                    return values;
                },
                listener);
    }

    /**
     * Runs the ask/tell loop with an objective that evaluates each batch of candidates at once.
     *
     * @param objective scores a batch of points
     * @param space the box and the start point
     * @param budget the maximum number of evaluations
     * @param seed the seed
     * @param listener told of every evaluation
     * @return the best point evaluated, the history and the state
     * @throws ObjectiveException if the objective throws (numbered by the batch's first point)
     */
    default OptimizationResult minimizeBatched(
            BatchObjective objective,
            SearchSpace space,
            int budget,
            long seed,
            OptimizationListener listener) {
        Objects.requireNonNull(objective, "objective");
        return drive(start(space, budget, seed), objective, listener);
    }

    private static Evaluation bestOf(List<Evaluation> evaluations) {
        Evaluation best = evaluations.get(0);
        for (Evaluation e : evaluations) {
            best = Ranking.better(e, best) ? e : best;
        }
        return best;
    }

    private static OptimizationResult drive(
            Session session, BatchObjective objective, OptimizationListener listener) {
        Objects.requireNonNull(listener, "listener");
        try (session) {
            return loop(session, objective, listener);
        }
    }

    private static OptimizationResult loop(
            Session session, BatchObjective objective, OptimizationListener listener) {
        while (true) {
            List<double[]> points = session.ask();
            if (points.isEmpty()) {
                return session.result();
            }
            double[] values;
            try {
                List<double[]> copies = new ArrayList<>(points.size());
                points.forEach(p -> copies.add(p.clone()));
                values = objective.evaluate(copies);
            } catch (ObjectiveException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ObjectiveException(session.evaluations() + 1, points.get(0), e);
            }
            if (values.length != points.size()) {
                throw new IllegalStateException(
                        "objective returned "
                                + values.length
                                + " values for "
                                + points.size()
                                + " points");
            }
            int first = session.evaluations();
            session.tell(values);
            List<Evaluation> history = session.history();
            Evaluation best = first == 0 ? null : bestOf(history.subList(0, first));
            for (int i = first; i < history.size(); i++) {
                Evaluation evaluation = history.get(i);
                best = best == null || Ranking.better(evaluation, best) ? evaluation : best;
                listener.evaluated(evaluation, best, session.budget());
            }
        }
    }
}
