package dev.lorahub.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.FewShotExample;
import dev.lorahub.io.ExamplesFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** Task examples as JSON lines {@code {"input": "...", "output": "..."}}, one per line. */
public final class Jsonl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Jsonl() {}

    /**
     * Reads text examples with the library's reader ({@link ExamplesFile#readText(Path)}).
     *
     * @param file a JSON-lines file
     * @return its examples in order
     * @throws IOException if it cannot be read
     * @throws dev.lorahub.io.ExamplesFormatException naming the file, line and key when a line is
     *     not JSON, lacks input or output, or is pre-tokenized
     */
    public static List<TaskExample> read(Path file) throws IOException {
        List<TaskExample> out = new ArrayList<>();
        for (FewShotExample e : ExamplesFile.readText(file)) {
            out.add(new TaskExample(e.input().orElseThrow(), e.output().orElseThrow()));
        }
        return out;
    }

    /**
     * Writes through a temp file moved into place.
     *
     * @param file the target
     * @param examples the examples
     * @throws IOException if writing fails
     */
    public static void write(Path file, List<TaskExample> examples) throws IOException {
        StringBuilder b = new StringBuilder();
        for (TaskExample e : examples) {
            ObjectNode node = JSON.createObjectNode();
            node.put("input", e.input());
            node.put("output", e.output());
            try {
                b.append(JSON.writeValueAsString(node)).append('\n');
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
