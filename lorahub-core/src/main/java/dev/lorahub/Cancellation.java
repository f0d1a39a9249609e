package dev.lorahub;

/**
 * A handle that stops LoraHub runs from any thread: give it to {@link LearnStep#cancellation},
 * call {@link #cancel()} when the work is no longer wanted (a request dropped, a user's "stop"),
 * and the run returns the best result found so far with state {@link
 * LoraHubResult.State#CANCELLED}, the model restored. Runs notice it between evaluations, so they
 * stop within one evaluation (one batch of candidates for batched optimizers).
 *
 * <p>Thread-safe. Once cancelled it stays cancelled: every run given it stops at its next check,
 * including runs started afterwards (which then make no evaluation).
 */
public final class Cancellation {
    private volatile boolean cancelled;

    /** A handle not yet cancelled. */
    public Cancellation() {}

    /** Asks every run given this handle to stop at its next check. Idempotent. */
    public void cancel() {
        cancelled = true;
    }

    /**
     * @return true once {@link #cancel()} has been called
     */
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public String toString() {
        return cancelled ? "Cancellation[cancelled]" : "Cancellation[active]";
    }
}
