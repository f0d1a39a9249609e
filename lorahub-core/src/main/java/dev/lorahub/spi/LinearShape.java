package dev.lorahub.spi;

import dev.lorahub.LoraLayer;
import java.util.Map;

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

    /**
     * The base weight an adapter layer updates, checked: the refusal every backend and {@code
     * LoraHub} words alike.
     *
     * @param linears the base model's linear modules by module path
     * @param modelName the base model in messages, e.g. {@code "the llama base model"}
     * @param moduleName the adapter's name
     * @param layer one of its layers
     * @return the shape of {@code layer.modulePath()} in {@code linears}, equal to the layer's
     *     {@code [out, in]}
     * @throws IllegalArgumentException if the model lacks the module path, or its weight has
     *     another shape (the message names the adapter, the layer and both shapes)
     */
    public static LinearShape targetOf(
            Map<String, LinearShape> linears,
            String modelName,
            String moduleName,
            LoraLayer layer) {
        LinearShape shape = linears.get(layer.modulePath());
        if (shape == null) {
            throw new IllegalArgumentException(
                    "module '"
                            + moduleName
                            + "' targets '"
                            + layer.modulePath()
                            + "', which "
                            + modelName
                            + " lacks");
        }
        if (shape.outFeatures() != layer.outFeatures()
                || shape.inFeatures() != layer.inFeatures()) {
            throw new IllegalArgumentException(
                    "module '"
                            + moduleName
                            + "' layer '"
                            + layer.modulePath()
                            + "' is "
                            + layer.outFeatures()
                            + "x"
                            + layer.inFeatures()
                            + " (out x in), "
                            + modelName
                            + "'s weight is "
                            + shape);
        }
        return shape;
    }

    @Override
    public String toString() {
        return outFeatures + "x" + inFeatures;
    }
}
