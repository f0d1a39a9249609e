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
    /** This library's best: 10 lowest-loss modules, CAT merge, a larger budget. */
    LORAHUB_BEST("lorahub_best"),
    /** The base with the 5 examples in the prompt. */
    ICL("icl"),
    /** A LoRA trained by gradient on the 5 examples. */
    LORA_5SHOT("lora_5shot"),
    /** A LoRA trained on the task's full training data (ceiling). */
    LORA_FULL("lora_full");

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
