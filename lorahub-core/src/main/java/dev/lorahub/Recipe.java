package dev.lorahub;

import dev.lorahub.optim.AdamOptimizer;

import java.util.Locale;

/**
 * Named sets of LoraHub settings, so that a user need not remember four options. A recipe sets the
 * module selection, the merge strategy, the optimizer, the budget and the mini-batch size (none
 * but {@link #SHORT}'s use mini-batches); options set after {@link LearnStep#recipe(Recipe)}
 * override it, and the seed, bounds, regularization and batch size are left as they are.
 * docs/hub-and-demo.md has the measurements behind each.
 */
public enum Recipe {
    /**
     * The paper's recipe, what a plain {@link LearnStep#run()} does: every given module, {@link
     * MergeStrategy#LORAHUB} (factor-wise), {@code cobyla} as nevergrad's NGOpt runs it, {@value
     * LoraHub#DEFAULT_BUDGET} evaluations. Choose it to reproduce the paper or when the base model
     * gives no gradients.
     */
    PAPER,
    /**
     * The best recipe measured on the embedded hub (beyond the paper): every given module, exact
     * composition ({@link MergeStrategy#CAT}), the weights learned by gradient ({@link
     * AdamOptimizer} at learning rate {@value #BEST_LEARNING_RATE}, from 0, clipped to the bounds,
     * with LoraHub's L1 term), {@value #BEST_BUDGET} forward-equivalents ({@value #BEST_BUDGET} / 3
     * steps of a forward and a backward). Needs a base model that gives gradients ({@link
     * dev.lorahub.spi.DifferentiableModel}: the DJL LLaMA and T5 backends do).
     */
    BEST,
    /**
     * The best recipe measured on the embedded hub at a short budget (beyond the paper): every
     * given module, {@link MergeStrategy#CAT}, the weights learned by {@link AdamOptimizer} at
     * learning rate {@value #SHORT_LEARNING_RATE} with moment rates {@code b1 = }{@value
     * #SHORT_BETA1} and {@code b2 = }{@value #SHORT_BETA2} (Adam's usual 0.9 averages over more
     * steps than such a run takes), on stochastic one-example mini-batches ({@link
     * LearnStep#miniBatch(int) miniBatch(1)}), {@value #SHORT_BUDGET} forward-equivalents: 6
     * epochs of one-example steps and one forward on all examples at the last point. Needs a base
     * model that gives gradients, as {@link #BEST} does, and at least 1 example.
     */
    SHORT;

    /** The budget of {@link #BEST}, in forward-equivalents. */
    public static final int BEST_BUDGET = 225;

    /** Adam's learning rate in {@link #BEST}. */
    public static final double BEST_LEARNING_RATE = 0.05;

    /** The budget of {@link #SHORT}, in forward-equivalents. */
    public static final int SHORT_BUDGET = 20;

    /** Adam's learning rate in {@link #SHORT}. */
    public static final double SHORT_LEARNING_RATE = 0.03;

    /** Adam's first-moment rate in {@link #SHORT}. */
    public static final double SHORT_BETA1 = 0.7;

    /** Adam's second-moment rate in {@link #SHORT}. */
    public static final double SHORT_BETA2 = 0.99;

    /**
     * @param name {@code paper}, {@code best} or {@code short}, case-insensitive (the CLI's form)
     * @return the recipe
     * @throws IllegalArgumentException naming the text and the known names
     */
    public static Recipe parse(String name) {
        for (Recipe r : values()) {
            if (r.name().equals(name.toUpperCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new IllegalArgumentException(
                "unknown recipe '" + name + "', known: paper, best, short");
    }

    LearnStep applyTo(LearnStep step) {
        return switch (this) {
            case PAPER ->
                    step.select(ModuleSelection.all())
                            .strategy(MergeStrategy.LORAHUB)
                            .optimizer(LoraHub.DEFAULT_OPTIMIZER)
                            .budget(LoraHub.DEFAULT_BUDGET)
                            .fullBatches();
            case BEST ->
                    step.select(ModuleSelection.all())
                            .strategy(MergeStrategy.CAT)
                            .optimizer(new AdamOptimizer(BEST_LEARNING_RATE))
                            .budget(BEST_BUDGET)
                            .fullBatches();
            case SHORT ->
                    step.select(ModuleSelection.all())
                            .strategy(MergeStrategy.CAT)
                            .optimizer(
                                    new AdamOptimizer(SHORT_LEARNING_RATE)
                                            .withBetas(SHORT_BETA1, SHORT_BETA2))
                            .budget(SHORT_BUDGET)
                            .miniBatch(1);
        };
    }
}
