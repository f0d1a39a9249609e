package dev.lorahub.optim;

/**
 * An objective that gives its gradient with its value, and its value alone more cheaply.
 *
 * <p>Costs, in forward-equivalents: {@link #valueAndGradient} is a forward and a backward ({@value
 * dev.lorahub.GradientOptimizer#COST_PER_STEP}), {@link #value} a forward (1). Optimizers count
 * their budget that way; an objective that cannot evaluate its value alone more cheaply than with
 * its gradient keeps the default {@link #value}, and then a probe costs what a step costs.
 */
@FunctionalInterface
public interface GradientObjective {
    /**
     * @param x the point (a fresh array the objective may keep)
     * @param gradient receives {@code df/dx}, same length as {@code x}
     * @return {@code f(x)}
     */
    double valueAndGradient(double[] x, double[] gradient);

    /**
     * The value without the gradient: one forward pass. The default evaluates the gradient too and
     * discards it.
     *
     * @param x the point (a fresh array the objective may keep)
     * @return {@code f(x)}
     */
    default double value(double[] x) {
        return valueAndGradient(x, new double[x.length]);
    }
}
