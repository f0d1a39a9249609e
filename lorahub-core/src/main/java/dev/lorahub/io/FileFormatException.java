package dev.lorahub.io;

import dev.lorahub.LoraHubException;
import java.nio.file.Path;

/**
 * A file that is not what it claims to be: a malformed safetensors file, adapter config, PEFT
 * folder, model config or checkpoint, GGUF file or examples file. Catch this type to handle every
 * such file alike; the subclasses only say which side the file was on ({@link
 * AdapterFormatException} for adapters and the files lorahub-core reads, {@code
 * dev.lorahub.djl.ModelFormatException} for base models).
 *
 * <p>The message is one line that starts with the file and says what is wrong, naming the key or
 * tensor and the values ("adapter_model.safetensors: tensor 'x' data_offsets [0, 12] hold 12 bytes,
 * expected 16 for F32 [2, 2]"); {@link #problem()} is that line without the file.
 */
public class FileFormatException extends LoraHubException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final String problem;

    /**
     * @param file the offending file or folder
     * @param problem what is wrong with it, naming keys and values
     */
    public FileFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
    }

    /**
     * @param file the offending file or folder
     * @param problem what is wrong with it, naming keys and values
     * @param cause the underlying parse failure
     */
    public FileFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /**
     * @return the offending file, or null after deserialization
     */
    public Path file() {
        return file;
    }

    /**
     * @return what is wrong, without the file: the message after {@code "<file>: "}
     */
    public String problem() {
        return problem;
    }
}
