package dev.lorahub.spi;

import dev.lorahub.model.BaseModel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A loss and its gradient with respect to some linear weights of a base model.
 *
 * @param loss the token-mean cross-entropy, as {@link BaseModel#loss}
 * @param weightGradients {@code dloss/dW} by module path, each laid out as the stored weight; the
 *     map is copied, the arrays are handed over (the caller must not change them afterwards)
 */
public record LossGradient(double loss, Map<String, float[]> weightGradients) {
    /** Copies the map (insertion order kept). */
    public LossGradient {
        Objects.requireNonNull(weightGradients, "weightGradients");
        weightGradients = Collections.unmodifiableMap(new LinkedHashMap<>(weightGradients));
    }
}
