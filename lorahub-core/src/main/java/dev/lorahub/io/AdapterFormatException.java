package dev.lorahub.io;

import dev.lorahub.LoraHubException;
import java.nio.file.Path;

/**
 * A file that is not a valid safetensors file, adapter config or PEFT adapter folder. The message
 * always starts with the file and says what is wrong ("adapter_model.safetensors: tensor 'x'
 * data_offsets [0, 12] hold 12 bytes, expected 16 for F32 [2, 2]").
 */
public class AdapterFormatException extends LoraHubException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;

    /**
     * @param file the offending file (or folder)
     * @param problem what is wrong with it, naming keys and values
     */
    public AdapterFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * @param file the offending file (or folder)
     * @param problem what is wrong with it, naming keys and values
     * @param cause the underlying parse failure
     */
    public AdapterFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /**
     * @return the offending file, or null after deserialization
     */
    public Path file() {
        return file;
    }
}
