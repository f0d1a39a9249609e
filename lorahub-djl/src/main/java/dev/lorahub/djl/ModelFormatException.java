package dev.lorahub.djl;

import dev.lorahub.io.FileFormatException;
import java.nio.file.Path;

/**
 * A base-model file or folder that cannot be loaded: unknown {@code model_type}, missing tensor,
 * shape mismatch, truncated or malformed file. The message starts with the file and names the
 * tensor or key involved ("model.safetensors: tensor 'lm_head.weight' is [256, 32], expected [256,
 * 64]"). Catch {@link FileFormatException} to handle adapter files the same way.
 */
public class ModelFormatException extends FileFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file the offending file or folder
     * @param problem what is wrong, naming tensors, keys and values
     */
    public ModelFormatException(Path file, String problem) {
        super(file, problem);
    }

    /**
     * @param file the offending file or folder
     * @param problem what is wrong, naming tensors, keys and values
     * @param cause the underlying failure
     */
    public ModelFormatException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
