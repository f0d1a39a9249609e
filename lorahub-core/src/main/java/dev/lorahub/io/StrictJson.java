package dev.lorahub.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.ContentReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one way lorahub reads a JSON document: exactly one value, then nothing but JSON whitespace
 * (space, tab, line feed, carriage return). Jackson's {@code readTree} stops after the first value
 * and silently drops what follows, so {@code {"r": 8}}} or {@code {"r": 8} garbage} read as {@code
 * {"r": 8}}, where Python's {@code json.load} ("Extra data"), serde_json ("trailing characters")
 * and so the Hugging Face libraries refuse the file. Every JSON file a lorahub reader opens goes
 * through here; each reader turns the {@link TrailingContentException} (a {@link
 * JsonParseException}, whose {@code getOriginalMessage()} is one line) into its own typed error
 * naming the file.
 *
 * <p>The mapper's features and limits (duplicate keys, nesting depth, number length) apply as in
 * {@code mapper.readTree}. An empty document gives a {@link MissingNode}, as {@code readTree} does.
 */
public final class StrictJson {
    private StrictJson() {}

    /**
     * Content after the document's value. {@link #getOriginalMessage()} is {@code "content after
     * the JSON value at byte N (line L, column C)"} for a file or byte array, {@code "... at
     * character N ..."} for a string; N counts from 0, L and C from 1 (C in the same unit as N, as Jackson counts columns). For bytes Jackson
     * decoded as UTF-16 or UTF-32 it names where the value ends instead: {@code "content after the
     * JSON value, which ends at character N (line L, column C)"}.
     */
    public static final class TrailingContentException extends JsonParseException {
        private static final long serialVersionUID = 1L;
        private final long offset;
        private final int line;
        private final int column;

        TrailingContentException(JsonParser p, String unit, long offset, int line, int column) {
            super(
                    p,
                    "content after the JSON value at "
                            + unit
                            + " "
                            + offset
                            + " (line "
                            + line
                            + ", column "
                            + column
                            + ")",
                    new JsonLocation(
                            ContentReference.unknown(),
                            unit.equals("byte") ? offset : -1,
                            unit.equals("byte") ? -1 : offset,
                            line,
                            column));
            this.offset = offset;
            this.line = line;
            this.column = column;
        }

        private TrailingContentException(JsonParser p, String message, JsonLocation end) {
            super(p, message, end);
            this.offset = end.getCharOffset();
            this.line = end.getLineNr();
            this.column = end.getColumnNr();
        }

        /**
         * @return where the content starts (where the value ends, for decoded UTF-16 or UTF-32),
         *     in the unit the message names, from 0
         */
        public long offset() {
            return offset;
        }

        /**
         * @return the line it starts on, from 1
         */
        public int line() {
            return line;
        }

        /**
         * @return the column it starts at, from 1
         */
        public int column() {
            return column;
        }
    }

    /**
     * @param mapper the mapper whose features and limits apply
     * @param file a JSON file
     * @return its one value
     * @throws TrailingContentException if anything but whitespace follows the value
     * @throws JsonProcessingException if it is not JSON
     * @throws IOException if it cannot be read
     */
    public static JsonNode read(ObjectMapper mapper, Path file) throws IOException {
        return read(mapper, Files.readAllBytes(file));
    }

    /**
     * @param mapper the mapper whose features and limits apply
     * @param json a JSON document, in UTF-8 (or another encoding Jackson detects)
     * @return its one value
     * @throws TrailingContentException if anything but whitespace follows the value
     * @throws JsonProcessingException if it is not JSON
     */
    public static JsonNode read(ObjectMapper mapper, byte[] json) throws JsonProcessingException {
        try {
            return readBytes(mapper, json);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no I/O in memory
        }
    }

    private static JsonNode readBytes(ObjectMapper mapper, byte[] json) throws IOException {
        try (JsonParser p = mapper.createParser(json)) {
            JsonNode root = mapper.readTree(p);
            JsonLocation end = p.currentLocation();
            if (end.getByteOffset() < 0) {
                return decodedEnd(p, root); // Jackson detected UTF-16 or UTF-32 and decoded it
            }
            int i = (int) end.getByteOffset();
            int line = end.getLineNr();
            int column = end.getColumnNr();
            for (; i < json.length && isSpace(json[i]); i++) {
                column = json[i] == '\n' || json[i] == '\r' ? 1 : column + 1;
                line += json[i] == '\n' ? 1 : 0;
            }
            if (i < json.length) {
                throw new TrailingContentException(p, "byte", i, line, column);
            }
            return root == null ? MissingNode.getInstance() : root;
        }
    }

    /**
     * @param mapper the mapper whose features and limits apply
     * @param json a JSON document
     * @return its one value
     * @throws TrailingContentException if anything but whitespace follows the value
     * @throws JsonProcessingException if it is not JSON
     */
    public static JsonNode read(ObjectMapper mapper, String json) throws JsonProcessingException {
        try (JsonParser p = mapper.createParser(json)) {
            return read(mapper, p, json);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no I/O in memory
        }
    }

    /**
     * Reads the one value of {@code json} from a parser the caller made over it (to report where
     * an error is from the parser's context).
     *
     * @param mapper the mapper whose features and limits apply
     * @param p a parser over {@code json}, before its first token
     * @param json the parser's whole input
     * @return its one value
     * @throws TrailingContentException if anything but whitespace follows the value
     * @throws JsonProcessingException if it is not JSON
     */
    public static JsonNode read(ObjectMapper mapper, JsonParser p, String json) throws IOException {
        JsonNode root = mapper.readTree(p);
        requireEnd(p, json);
        return root == null ? MissingNode.getInstance() : root;
    }

    /**
     * Checks that nothing but whitespace follows what the parser has read.
     *
     * @param p a parser over {@code json}, just after a value's last token
     * @param json the parser's whole input
     * @throws TrailingContentException if anything but whitespace follows
     */
    public static void requireEnd(JsonParser p, String json) throws TrailingContentException {
        JsonLocation end = p.currentLocation();
        int i = (int) end.getCharOffset();
        int line = end.getLineNr();
        int column = end.getColumnNr();
        for (; i < json.length() && isSpace(json.charAt(i)); i++) {
            column = json.charAt(i) == '\n' || json.charAt(i) == '\r' ? 1 : column + 1;
            line += json.charAt(i) == '\n' ? 1 : 0;
        }
        if (i < json.length()) {
            throw new TrailingContentException(p, "character", i, line, column);
        }
    }

    /**
     * For bytes Jackson decoded as UTF-16 or UTF-32, whose offsets count characters of the decoded
     * text: any token (or non-token) after the value is trailing content, named by where the value
     * ends.
     */
    private static JsonNode decodedEnd(JsonParser p, JsonNode root) throws IOException {
        JsonLocation end = p.currentLocation();
        boolean more;
        try {
            more = p.nextToken() != null;
        } catch (JsonParseException e) {
            more = true; // not even a token
        }
        if (more) {
            throw new TrailingContentException(
                    p,
                    "content after the JSON value, which ends at character "
                            + end.getCharOffset()
                            + " (line "
                            + end.getLineNr()
                            + ", column "
                            + end.getColumnNr()
                            + ")",
                    end);
        }
        return root == null ? MissingNode.getInstance() : root;
    }

    private static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}
