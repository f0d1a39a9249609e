package dev.lorahub.io;

import java.nio.file.Path;

/**
 * A file that is not a valid safetensors file, adapter config or PEFT adapter folder. The message
 * always starts with the file and says what is wrong ("adapter_model.safetensors: tensor 'x'
 * data_offsets [0, 12] hold 12 bytes, expected 16 for F32 [2, 2]"). Catch {@link
 * FileFormatException} to handle base-model files the same way.
 */
public class AdapterFormatException extends FileFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file the offending file (or folder)
     * @param problem what is wrong with it, naming keys and values
     */
    public AdapterFormatException(Path file, String problem) {
        super(file, problem);
    }

    /**
     * @param file the offending file (or folder)
     * @param problem what is wrong with it, naming keys and values
     * @param cause the underlying parse failure
     */
    public AdapterFormatException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
