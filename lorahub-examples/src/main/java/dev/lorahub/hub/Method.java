package dev.lorahub.hub;

/** The rows of the demo's table, in display order, with their names in {@code results.csv}. */
public enum Method {
    /** The base alone, plain prompt. */
    ZERO_SHOT("zero_shot"),
    /** The pool module with the lowest loss on the 5 examples. */
    BEST_SINGLE("best_single"),
    /** Every pool module at weight 1/N, deltas summed exactly (CAT). */
    UNIFORM("uniform"),
    /** LoraHub's defaults: 20 random modules, factor-wise LORAHUB merge, COBYLA, 40 evaluations. */
    LORAHUB_REFERENCE("lorahub_reference"),
    /**
     * The library's gradient-free ingredients ({@link #LORAHUB_BEST}'s 10 lowest-loss modules, CAT
     * merge) at the paper's optimizer and budget: {@code cobyla}, 40 evaluations; 70
     * forward-equivalents on the hub (30 to select, 40 to search).
     */
    COBYLA_40("cobyla_40"),
    /** The best gradient-free recipe: 10 lowest-loss modules, CAT merge, 200 evaluations. */
    LORAHUB_BEST("lorahub_best"),
    /**
     * {@code LoraHub...recipe(Recipe.SHORT)} exactly as a user calls it: all modules, CAT, the
     * weights learned by Adam on one-example mini-batches, a budget of 20 forward-equivalents.
     */
    RECIPE_SHORT("recipe_short"),
    /**
     * {@code LoraHub...recipe(Recipe.BEST)} exactly as a user calls it: all modules, CAT, the
     * weights learned by gradient (Adam), 225 forward-equivalents.
     */
    RECIPE_BEST("recipe_best"),
    /** The base with the 5 examples in the prompt. */
    ICL("icl"),
    /** A LoRA trained by gradient on the 5 examples. */
    LORA_5SHOT("lora_5shot"),
    /** A LoRA trained on the task's full training data (ceiling). */
    LORA_FULL("lora_full"),
    /**
     * Not a method a user can run (it knows the task): the held-out task's own single-skill modules
     * (e.g. {@code rev} and {@code atb} for {@code rev_atb}) merged exactly (CAT) at weight 1 each.
     */
    ORACLE_EXACT("oracle_exact"),
    /**
     * Not a method a user can run: the same modules as {@link #ORACLE_EXACT}, their weights
     * searched on the 5 examples (CAT, {@code quadratic}, {@value Demo#ORACLE_BUDGET} evaluations).
     */
    ORACLE_SEARCH("oracle_search");

    private final String id;

    Method(String id) {
        this.id = id;
    }

    /**
     * @return the name in results.csv, e.g. {@code lorahub_best}
     */
    public String id() {
        return id;
    }
}
