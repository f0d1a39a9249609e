package dev.lorahub.spi;

import dev.lorahub.model.BaseModel;
import dev.lorahub.model.WeightDtype;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A backend that loads base models, found through {@link java.util.ServiceLoader} (register the
 * implementation in {@code META-INF/services/dev.lorahub.spi.ModelBackend}).
 */
public interface ModelBackend {
    /**
     * @return a short name, e.g. {@code djl-llama}
     */
    String name();

    /**
     * @param model a model folder (HF {@code config.json} + safetensors) or file (GGUF)
     * @return true if this backend recognises and can load it; must not throw for unknown inputs
     */
    boolean supports(Path model);

    /**
     * Loads a base model. Nothing half-loaded may leak: on failure everything allocated is freed.
     *
     * @param model a path for which {@link #supports(Path)} returned true
     * @return the loaded model, to be closed by the caller
     * @throws IOException if the files cannot be read
     */
    BaseModel load(Path model) throws IOException;

    /**
     * Loads a base model keeping its weight matrices in {@code dtype}. Backends that keep float32
     * only need not override this.
     *
     * @param model a path for which {@link #supports(Path)} returned true
     * @param dtype how to keep the weights
     * @return the loaded model, to be closed by the caller
     * @throws IOException if the files cannot be read
     * @throws IllegalArgumentException if this backend cannot keep weights in {@code dtype}
     */
    default BaseModel load(Path model, WeightDtype dtype) throws IOException {
        if (dtype != WeightDtype.F32) {
            throw new IllegalArgumentException(
                    "model backend '" + name() + "' keeps f32 weights only, asked for " + dtype);
        }
        return load(model);
    }
}
