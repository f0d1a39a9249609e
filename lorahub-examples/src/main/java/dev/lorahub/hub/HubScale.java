package dev.lorahub.hub;

/**
 * The sizes of a hub build. {@link #FULL} is what {@code lorahub build-hub} commits; {@link #SMOKE}
 * is the same pipeline scaled down for CI (minutes, not a useful hub).
 *
 * @param name {@code full} or {@code smoke}
 * @param hidden model width d
 * @param intermediate MLP width
 * @param layers decoder layers
 * @param heads attention heads
 * @param pretrainSteps base pretraining steps
 * @param pretrainBatch instructed examples per pretraining step
 * @param pretrainLr peak pretraining learning rate
 * @param rank LoRA rank of every module
 * @param alpha LoRA alpha of every module
 * @param moduleSteps optimizer steps per module
 * @param moduleBatch examples per module step
 * @param moduleExamples distinct training examples per module
 * @param moduleLr module learning rate
 * @param heldOutTrain examples per held-out task in {@code train.jsonl} (few-shot pool, ceiling)
 * @param heldOutTest examples per held-out task in {@code test.jsonl}
 */
public record HubScale(
        String name,
        int hidden,
        int intermediate,
        int layers,
        int heads,
        int pretrainSteps,
        int pretrainBatch,
        double pretrainLr,
        int rank,
        double alpha,
        int moduleSteps,
        int moduleBatch,
        int moduleExamples,
        double moduleLr,
        int heldOutTrain,
        int heldOutTest) {
    /** The committed hub. */
    public static final HubScale FULL =
            new HubScale(
                    "full", 96, 256, 3, 4, 1600, 64, 3e-3, 4, 8, 200, 32, 2000, 5e-3, 1000, 200);

    /** The CI smoke build: same pipeline, tiny sizes. */
    public static final HubScale SMOKE =
            new HubScale("smoke", 32, 64, 1, 2, 12, 8, 3e-3, 2, 4, 3, 4, 16, 3e-3, 20, 10);

    /** Validates positivity. */
    public HubScale {
        if (hidden < 1
                || intermediate < 1
                || layers < 1
                || heads < 1
                || pretrainSteps < 1
                || pretrainBatch < 4
                || rank < 1
                || moduleSteps < 1
                || moduleBatch < 1
                || moduleExamples < 1
                || heldOutTrain < 5
                || heldOutTest < 1) {
            throw new IllegalArgumentException("invalid hub scale " + this);
        }
    }

    /**
     * @param text {@code full} or {@code smoke}
     * @return that scale
     */
    public static HubScale byName(String text) {
        return switch (text) {
            case "full" -> FULL;
            case "smoke" -> SMOKE;
            default ->
                    throw new IllegalArgumentException(
                            "hub scale '" + text + "': expected full or smoke");
        };
    }
}
