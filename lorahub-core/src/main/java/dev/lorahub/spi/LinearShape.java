package dev.lorahub.spi;

/**
 * The shape of a base model's linear weight as PEFT sees it.
 *
 * @param outFeatures rows of the weight (out_features)
 * @param inFeatures columns of the weight (in_features)
 */
public record LinearShape(int outFeatures, int inFeatures) {
    /** Validates both sizes. */
    public LinearShape {
        if (outFeatures < 1 || inFeatures < 1) {
            throw new IllegalArgumentException(
                    "linear shape must be positive, got " + outFeatures + "x" + inFeatures);
        }
    }

    @Override
    public String toString() {
        return outFeatures + "x" + inFeatures;
    }
}
