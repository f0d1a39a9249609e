package dev.lorahub;

import java.util.Arrays;

/**
 * The objective function threw while an optimizer evaluated it. Carries the 1-based evaluation
 * number and the point being evaluated; the objective's own exception is the cause.
 */
public class ObjectiveException extends LoraHubException {
    private static final long serialVersionUID = 1L;

    private final int evaluation;
    private final double[] point;

    /**
     * @param evaluation the 1-based number of the evaluation that failed
     * @param point the point being evaluated (copied)
     * @param cause what the objective threw
     */
    public ObjectiveException(int evaluation, double[] point, Throwable cause) {
        super(
                "objective failed at evaluation "
                        + evaluation
                        + ", point "
                        + Arrays.toString(point)
                        + ": "
                        + cause,
                cause);
        this.evaluation = evaluation;
        this.point = point.clone();
    }

    /**
     * @return the 1-based number of the evaluation that failed
     */
    public int evaluation() {
        return evaluation;
    }

    /**
     * @return a copy of the point being evaluated
     */
    public double[] point() {
        return point.clone();
    }
}
