package dev.lorahub.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.io.FileFormatException;
import dev.lorahub.model.BaseModel;
import dev.lorahub.spi.EncodedBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads few-shot examples from a JSON Lines file (one object per line) or a JSON array. Each object
 * is either text, {@code {"input": "...", "output": "..."}}, or pre-tokenized with Hugging Face
 * semantics, {@code {"input_ids": [..], "labels": [..]}} (labels -100 ignored; {@code labels}
 * defaults to {@code input_ids}).
 */
public final class ExamplesFile {
    private ExamplesFile() {}

    /**
     * @param file the examples file
     * @return the examples, in file order
     * @throws IOException if it cannot be read
     * @throws FileFormatException naming the file and line when an entry is malformed
     */
    public static List<FewShotExample> read(Path file) throws IOException {
        ObjectMapper om = new ObjectMapper();
        String text = utf8(file, Files.readAllBytes(file));
        List<JsonNode> nodes = new ArrayList<>();
        if (text.stripLeading().startsWith("[")) {
            try {
                om.readTree(text).forEach(nodes::add);
            } catch (JsonProcessingException e) {
                throw new FileFormatException(
                        file, "not a JSON array: " + e.getOriginalMessage(), e);
            }
        } else {
            String[] lines = text.split("\n");
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                try {
                    nodes.add(om.readTree(lines[i]));
                } catch (JsonProcessingException e) {
                    throw new FileFormatException(
                            file, "line " + (i + 1) + ": not JSON: " + e.getOriginalMessage(), e);
                }
            }
        }
        List<FewShotExample> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            out.add(example(file, i + 1, nodes.get(i)));
        }
        if (out.isEmpty()) {
            throw new FileFormatException(file, "no examples");
        }
        return out;
    }

    /**
     * Decodes strictly: invalid UTF-8 is refused naming the line and byte offset (Java's {@code
     * Files.readString} would say only "Input length = 1", without the file).
     */
    private static String utf8(Path file, byte[] bytes) {
        CharsetDecoder d =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, bytes.length));
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new FileFormatException(
                    file,
                    String.format(
                            Locale.ROOT,
                            "line %d: not UTF-8: invalid byte 0x%02X at byte offset %d",
                            line,
                            bytes[at] & 0xFF,
                            at));
        }
        d.flush(out);
        return out.flip().toString();
    }

    /**
     * @param m the model
     * @param examples examples read from {@code file}
     * @param file where they came from
     * @return the model's batch of them; to be closed
     * @throws FileFormatException naming the file when the model rejects an example (ids outside
     *     its vocabulary, text without a tokenizer, misaligned labels)
     */
    static EncodedBatch encode(BaseModel m, List<FewShotExample> examples, Path file) {
        try {
            return m.encode(examples);
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(file, String.valueOf(e.getMessage()), e);
        }
    }

    private static FewShotExample example(Path file, int entry, JsonNode n) {
        if (n.has("input_ids")) {
            int[] ids = ints(file, entry, n.get("input_ids"));
            int[] labels = n.has("labels") ? ints(file, entry, n.get("labels")) : ids;
            return FewShotExample.tokenized(ids, labels);
        }
        if (n.path("input").isTextual() && n.path("output").isTextual()) {
            return FewShotExample.of(n.get("input").asText(), n.get("output").asText());
        }
        throw new FileFormatException(
                file,
                "entry "
                        + entry
                        + ": expected {\"input\",\"output\"} strings or"
                        + " {\"input_ids\",\"labels\"} arrays");
    }

    private static int[] ints(Path file, int entry, JsonNode a) {
        if (!a.isArray() || a.isEmpty()) {
            throw new FileFormatException(
                    file, "entry " + entry + ": ids must be a non-empty array");
        }
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isIntegralNumber() || !a.get(i).canConvertToInt()) {
                throw new FileFormatException(
                        file,
                        "entry " + entry + ": '" + shorten(a.get(i)) + "' is not an integer id");
            }
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    /** A value's JSON text cut to 40 characters, so that a refusal stays one short line. */
    private static String shorten(JsonNode v) {
        String t = v.toString();
        return t.length() <= 40 ? t : t.substring(0, 37) + "...";
    }
}
