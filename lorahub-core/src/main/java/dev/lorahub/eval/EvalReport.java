package dev.lorahub.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.internal.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The answers of an {@link AnswerEval} and their exact-match score.
 *
 * @param adapter the adapter's name ({@code base} for the base model alone)
 * @param modelType the base model's architecture
 * @param maxNewTokens the longest answer generated, in tokens
 * @param rows one row per example, in order
 * @param seconds wall time of the generation
 */
public record EvalReport(
        String adapter, String modelType, int maxNewTokens, List<Row> rows, double seconds) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One answered example.
     *
     * @param prompt the prompt as given to the model (the input laid out by the template)
     * @param reference the expected answer
     * @param prediction the generated answer, decoded
     * @param match whether {@link ExactMatch#matches} holds
     */
    public record Row(String prompt, String reference, String prediction, boolean match) {
        /** Checks for nulls. */
        public Row {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(reference, "reference");
            Objects.requireNonNull(prediction, "prediction");
        }
    }

    /** Copies and checks. */
    public EvalReport {
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(modelType, "modelType");
        rows = List.copyOf(rows);
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("an evaluation report needs at least one row");
        }
    }

    /**
     * @return the number of exact matches
     */
    public int correct() {
        return (int) rows.stream().filter(Row::match).count();
    }

    /**
     * @return exact match in percent, {@code 100 * correct() / rows().size()}: the figure the
     *     LoraHub paper and the demo report
     */
    public double exactMatch() {
        return 100.0 * correct() / rows.size();
    }

    /**
     * @return the generated answers, in order
     */
    public List<String> predictions() {
        return rows.stream().map(Row::prediction).toList();
    }

    /**
     * @return {@code {"adapter", "model_type", "examples", "correct", "exact_match",
     *     "max_new_tokens", "seconds"}} without the rows, one line
     */
    public String summaryJson() {
        return write(summary(), false);
    }

    /**
     * @return the summary and every row ({@code prompt}, {@code reference}, {@code prediction},
     *     {@code match}), pretty-printed
     */
    public String toJson() {
        ObjectNode root = summary();
        ArrayNode out = root.putArray("rows");
        for (Row r : rows) {
            out.addObject()
                    .put("prompt", r.prompt())
                    .put("reference", r.reference())
                    .put("prediction", r.prediction())
                    .put("match", r.match());
        }
        return write(root, true);
    }

    /**
     * @return RFC 4180 CSV with a header {@code index,prompt,reference,prediction,match}, one line
     *     per row (fields with commas, quotes or line breaks quoted, quotes doubled)
     */
    public String toCsv() {
        StringBuilder b = new StringBuilder("index,prompt,reference,prediction,match\r\n");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            b.append(i)
                    .append(',')
                    .append(csv(r.prompt()))
                    .append(',')
                    .append(csv(r.reference()))
                    .append(',')
                    .append(csv(r.prediction()))
                    .append(',')
                    .append(r.match())
                    .append("\r\n");
        }
        return b.toString();
    }

    /**
     * Writes {@link #toJson()} through a temporary file moved into place.
     *
     * @param file the target
     * @throws IOException if writing fails (no partial file is left)
     */
    public void writeJson(Path file) throws IOException {
        atomically(file, toJson());
    }

    /**
     * Writes {@link #toCsv()} through a temporary file moved into place.
     *
     * @param file the target
     * @throws IOException if writing fails (no partial file is left)
     */
    public void writeCsv(Path file) throws IOException {
        atomically(file, toCsv());
    }

    private ObjectNode summary() {
        ObjectNode root = JSON.createObjectNode();
        root.put("adapter", adapter);
        root.put("model_type", modelType);
        root.put("examples", rows.size());
        root.put("correct", correct());
        root.put("exact_match", exactMatch());
        root.put("max_new_tokens", maxNewTokens);
        root.put("seconds", Double.parseDouble(String.format(Locale.ROOT, "%.3f", seconds)));
        return root;
    }

    private static String write(ObjectNode node, boolean pretty) {
        try {
            return pretty
                    ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n"
                    : JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String csv(String s) {
        if (s.indexOf(',') < 0
                && s.indexOf('"') < 0
                && s.indexOf('\n') < 0
                && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    private static void atomically(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        AtomicFiles.writeString(abs, text);
    }
}
