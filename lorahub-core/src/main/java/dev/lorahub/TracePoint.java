package dev.lorahub;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * One evaluation of the LoraHub objective, as the trace records it and a {@link LoraHubListener}
 * receives it.
 *
 * @param index the 1-based evaluation number
 * @param weights the weights evaluated, one per selected module, in selection order
 * @param loss the few-shot loss at these weights (see {@link LoraHub} for its exact definition)
 * @param score {@code loss + regularization * mean_i |w_i|}, the value minimized
 * @param bestScore the lowest score so far, this evaluation included (NaN scores never count)
 * @param elapsed the time since the search started, this evaluation included
 */
public record TracePoint(
        int index,
        double[] weights,
        double loss,
        double score,
        double bestScore,
        Duration elapsed) {
    /** Copies the weights. */
    public TracePoint {
        if (index < 1) {
            throw new IllegalArgumentException("index must be >= 1, got " + index);
        }
        weights = weights.clone();
        Objects.requireNonNull(elapsed, "elapsed");
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    /**
     * @return whether this evaluation set a new best score
     */
    public boolean improved() {
        return score == bestScore;
    }

    /** Equal when every component is, the weights compared by content (NaN equals NaN). */
    @Override
    public boolean equals(Object o) {
        return o instanceof TracePoint t
                && index == t.index
                && Arrays.equals(weights, t.weights)
                && Double.compare(loss, t.loss) == 0
                && Double.compare(score, t.score) == 0
                && Double.compare(bestScore, t.bestScore) == 0
                && elapsed.equals(t.elapsed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, Arrays.hashCode(weights), loss, score, bestScore, elapsed);
    }

    @Override
    public String toString() {
        return "TracePoint[index="
                + index
                + ", weights="
                + Arrays.toString(weights)
                + ", loss="
                + loss
                + ", score="
                + score
                + ", bestScore="
                + bestScore
                + ", elapsed="
                + elapsed
                + "]";
    }
}
