package dev.lorahub.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.model.BaseModel;
import dev.lorahub.spi.EncodedBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads few-shot examples from a JSON Lines file (one object per line; blank lines skipped) or a
 * JSON array of objects, in UTF-8. The reader the {@code lorahub} CLI uses ({@code score}, {@code
 * learn}, {@code eval}). Each object is either
 *
 * <ul>
 *   <li>text, {@code {"input": "...", "output": "..."}}: {@link FewShotExample#of(String, String)},
 *       laid out by the model's template before encoding; or
 *   <li>pre-tokenized with Hugging Face semantics, {@code {"input_ids": [..], "labels": [..]}}
 *       ({@code labels} -100 ignored, defaults to {@code input_ids}): {@link
 *       FewShotExample#tokenized(int[], int[])}.
 * </ul>
 *
 * Other keys are ignored. A malformed file is refused with an {@link ExamplesFormatException} whose
 * one-line message names the file, the line and the key ({@code "train.jsonl: line 3: key 'output':
 * expected a string, got 12"}). Stateless and thread-safe.
 */
public final class ExamplesFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN_CHARS = 40;

    private ExamplesFile() {}

    /**
     * @param file a JSON Lines file or a JSON array, UTF-8
     * @return the examples, in file order
     * @throws IOException if it cannot be read
     * @throws ExamplesFormatException naming the file, line and key when an entry is malformed, the
     *     bytes are not UTF-8, or the file holds no example
     */
    public static List<FewShotExample> read(Path file) throws IOException {
        return read(file, false);
    }

    /**
     * Reads text examples only, for what needs an answer to compare ({@code eval}) or a text to
     * train on: a pre-tokenized line is refused naming its line and key.
     *
     * @param file a JSON Lines file or a JSON array, UTF-8
     * @return the text examples, in file order
     * @throws IOException if it cannot be read
     * @throws ExamplesFormatException as {@link #read(Path)}, and for a line with {@code input_ids}
     */
    public static List<FewShotExample> readText(Path file) throws IOException {
        return read(file, true);
    }

    private static List<FewShotExample> read(Path file, boolean textOnly) throws IOException {
        String text = utf8(file, Files.readAllBytes(file));
        List<FewShotExample> out = new ArrayList<>();
        if (text.stripLeading().startsWith("[")) {
            readArray(file, text, textOnly, out);
        } else {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = StrictJson.read(JSON, lines[i]);
                } catch (StrictJson.TrailingContentException e) {
                    throw new ExamplesFormatException(
                            file,
                            i + 1,
                            null,
                            "content after the JSON value at column " + e.column(),
                            e);
                } catch (JsonProcessingException e) {
                    throw new ExamplesFormatException(
                            file, i + 1, null, "not JSON: " + e.getOriginalMessage(), e);
                }
                out.add(example(file, i + 1, node, textOnly));
            }
        }
        if (out.isEmpty()) {
            throw new ExamplesFormatException(file, 0, null, "no examples", null);
        }
        return out;
    }

    /**
     * Encodes examples read from a file, blaming the file when the model refuses one.
     *
     * @param model the model
     * @param examples examples read from {@code file} (and laid out by a template)
     * @param file where they came from
     * @return the model's batch of them; the caller closes it
     * @throws FileFormatException naming the file when the model rejects an example (ids outside
     *     its vocabulary, text without a tokenizer, misaligned labels)
     */
    public static EncodedBatch encode(BaseModel model, List<FewShotExample> examples, Path file) {
        try {
            return model.encode(examples);
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(file, String.valueOf(e.getMessage()), e);
        }
    }

    private static void readArray(
            Path file, String text, boolean textOnly, List<FewShotExample> out) throws IOException {
        int line = 1;
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new ExamplesFormatException(file, 1, null, "not a JSON array", null);
            }
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == null) {
                    throw new ExamplesFormatException(
                            file, line, null, "not a JSON array: no closing ']'", null);
                }
                line = p.currentTokenLocation().getLineNr();
                JsonNode node = p.readValueAsTree();
                out.add(example(file, line, node, textOnly));
            }
            try {
                StrictJson.requireEnd(p, text);
            } catch (StrictJson.TrailingContentException e) {
                throw new ExamplesFormatException(
                        file,
                        e.line(),
                        null,
                        "text after the closing ']' at column " + e.column(),
                        e);
            }
        } catch (JsonProcessingException e) {
            int at = e.getLocation() != null ? e.getLocation().getLineNr() : line;
            throw new ExamplesFormatException(
                    file, at, null, "not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static FewShotExample example(Path file, int line, JsonNode n, boolean textOnly) {
        if (!n.isObject()) {
            throw new ExamplesFormatException(
                    file, line, null, "expected a JSON object, got " + shorten(n), null);
        }
        if (n.has("input_ids") && textOnly) {
            throw new ExamplesFormatException(
                    file,
                    line,
                    "input_ids",
                    "expected a text example {\"input\", \"output\"}, not token ids",
                    null);
        }
        if (n.has("input_ids")) {
            int[] ids = ints(file, line, "input_ids", n.get("input_ids"));
            int[] labels = n.has("labels") ? ints(file, line, "labels", n.get("labels")) : ids;
            return FewShotExample.tokenized(ids, labels);
        }
        return FewShotExample.of(
                text(file, line, "input", n.get("input")),
                text(file, line, "output", n.get("output")));
    }

    private static String text(Path file, int line, String key, JsonNode v) {
        if (v == null) {
            throw new ExamplesFormatException(
                    file,
                    line,
                    key,
                    "missing; an example is {\"input\", \"output\"} strings or"
                            + " {\"input_ids\", \"labels\"} arrays",
                    null);
        }
        if (!v.isTextual()) {
            throw new ExamplesFormatException(
                    file, line, key, "expected a string, got " + shorten(v), null);
        }
        return v.asText();
    }

    private static int[] ints(Path file, int line, String key, JsonNode a) {
        if (!a.isArray() || a.isEmpty()) {
            throw new ExamplesFormatException(
                    file,
                    line,
                    key,
                    "expected a non-empty array of integer ids, got " + shorten(a),
                    null);
        }
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new ExamplesFormatException(
                        file,
                        line,
                        key,
                        "element " + i + " is " + shorten(v) + ", not an integer id",
                        null);
            }
            out[i] = v.asInt();
        }
        return out;
    }

    /** Decodes strictly: invalid UTF-8 is refused naming the line and byte offset. */
    private static String utf8(Path file, byte[] bytes) {
        return StrictUtf8.decode(
                bytes,
                bad ->
                        new ExamplesFormatException(
                                file,
                                bad.line(),
                                null,
                                String.format(
                                        Locale.ROOT,
                                        "not UTF-8: invalid byte 0x%02X at byte offset %d",
                                        bad.value(),
                                        bad.offset()),
                                null));
    }

    /** A value's JSON text cut to 40 characters, so that a refusal stays one short line. */
    private static String shorten(JsonNode v) {
        String t = v.toString();
        return t.length() <= SHOWN_CHARS ? t : t.substring(0, SHOWN_CHARS - 3) + "...";
    }
}
