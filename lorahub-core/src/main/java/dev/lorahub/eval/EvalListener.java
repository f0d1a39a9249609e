package dev.lorahub.eval;

/**
 * Progress of an {@link AnswerEval}, called on the evaluating thread after each generated batch, so
 * that a CLI can draw a progress bar and a server can stream it.
 */
@FunctionalInterface
public interface EvalListener {
    /** A listener that ignores progress. */
    EvalListener NONE = (done, total, correct) -> {};

    /**
     * @param done examples answered so far
     * @param total examples to answer
     * @param correct exact matches among the {@code done} answers
     */
    void onProgress(int done, int total, int correct);
}
