package dev.lorahub.optim;

import dev.lorahub.GradientOptimizer;
import dev.lorahub.SearchSpace;
import java.util.Objects;

/** The argument checks every gradient optimizer makes before its first step. */
final class GradientBudget {
    private GradientBudget() {}

    /**
     * @param name the optimizer's name, for the message
     * @param objective must not be null
     * @param space must not be null
     * @param budget forward-equivalents, at least one step's
     * @throws IllegalArgumentException if the budget cannot pay for one step
     */
    static void requireOneStep(
            String name, GradientObjective objective, SearchSpace space, int budget) {
        Objects.requireNonNull(objective, "objective");
        Objects.requireNonNull(space, "space");
        if (budget < GradientOptimizer.COST_PER_STEP) {
            throw new IllegalArgumentException(
                    name
                            + " needs a budget of at least "
                            + GradientOptimizer.COST_PER_STEP
                            + " forward-equivalents (one step: forward + backward), got "
                            + budget);
        }
    }
}
