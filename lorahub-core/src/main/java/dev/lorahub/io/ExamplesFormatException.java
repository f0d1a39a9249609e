package dev.lorahub.io;

import java.nio.file.Path;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An examples file ({@link ExamplesFile}) that cannot be read as examples. The one-line message
 * names the file, the line and the key: {@code "train.jsonl: line 3: key 'output': expected a
 * string, got 12"}.
 */
public class ExamplesFormatException extends AdapterFormatException {
    private static final long serialVersionUID = 1L;
    private final int line;
    private final @Nullable String key;

    /**
     * @param file the examples file
     * @param line the 1-based line the problem is on, 0 when it concerns the whole file
     * @param key the JSON key at fault, null when none
     * @param problem what is wrong, naming the values
     * @param cause the underlying parse failure, or null
     */
    public ExamplesFormatException(
            Path file, int line, @Nullable String key, String problem, @Nullable Throwable cause) {
        super(file, where(line, key) + problem, cause);
        this.line = line;
        this.key = key;
    }

    private static String where(int line, @Nullable String key) {
        return (line > 0 ? "line " + line + ": " : "") + (key != null ? "key '" + key + "': " : "");
    }

    /**
     * @return the 1-based line of the offending example, 0 when the problem concerns the whole file
     *     (e.g. no examples)
     */
    public int line() {
        return line;
    }

    /**
     * @return the JSON key at fault ({@code input}, {@code output}, {@code input_ids}, {@code
     *     labels}), empty when the line as a whole is wrong
     */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }
}
