package dev.lorahub.optim;

/** An objective that gives its gradient with its value. */
@FunctionalInterface
public interface GradientObjective {
    /**
     * @param x the point (a fresh array the objective may keep)
     * @param gradient receives {@code df/dx}, same length as {@code x}
     * @return {@code f(x)}
     */
    double valueAndGradient(double[] x, double[] gradient);
}
