package dev.lorahub.optim;

import dev.lorahub.Evaluation;
import dev.lorahub.OptimizationResult;
import java.util.List;
import java.util.Optional;

/**
 * One run of an optimizer in ask/tell form: {@link #ask()} hands out the next candidates (one or
 * several that can be evaluated together, never more than the budget left), {@link #tell(double[])}
 * gives back their values in the same order. Repeat until {@code ask()} returns an empty list, then
 * read {@link #result()}.
 *
 * <p>A session is not thread-safe and must be driven by one thread. Close a session that is
 * abandoned before {@code ask()} returned an empty list: some optimizers (BOBYQA) hold a worker
 * thread until then.
 */
public interface Session extends AutoCloseable {
    /**
     * @return the next candidates, each inside the box; empty when the run is over (budget used or
     *     the optimizer stopped by itself)
     * @throws IllegalStateException if the values of the previous ask were not told yet
     */
    List<double[]> ask();

    /**
     * @param values one value per point of the last {@link #ask()}, in order; NaN and infinite
     *     values rank below every finite value
     * @throws IllegalStateException if there is no pending ask
     * @throws IllegalArgumentException if the count differs from the pending ask's
     */
    void tell(double[] values);

    /**
     * @return true once {@link #ask()} can only return an empty list
     */
    boolean isFinished();

    /**
     * @return the number of evaluations told so far
     */
    int evaluations();

    /**
     * @return the budget of the run
     */
    int budget();

    /**
     * @return the best evaluation so far (finite values first), empty before the first tell
     */
    Optional<Evaluation> best();

    /**
     * @return every evaluation told so far, in order
     */
    List<Evaluation> history();

    /**
     * @return the best point evaluated so far, the history and how the run ended (or
     *     COMPLETED/CONVERGED as if it ended now)
     * @throws IllegalStateException before the first tell
     */
    OptimizationResult result();

    /** Releases what the session holds (a worker thread for some optimizers); idempotent. */
    @Override
    default void close() {}
}
