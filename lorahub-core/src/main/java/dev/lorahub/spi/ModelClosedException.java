package dev.lorahub.spi;

import dev.lorahub.model.BaseModel;

/**
 * A {@link BaseModel} was used after {@link BaseModel#close()}: the one exception every backend of
 * this library throws for it, whether the model was closed before the call or by another thread
 * while the call waited for its turn. A LoraHub run on a closed model fails with this exception
 * itself, not wrapped in {@link dev.lorahub.ObjectiveException}.
 */
public class ModelClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message which model and which call, e.g. {@code the llama model is closed; cannot
     *     compute a loss}
     */
    public ModelClosedException(String message) {
        super(message);
    }
}
