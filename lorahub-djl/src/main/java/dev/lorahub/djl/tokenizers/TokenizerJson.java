package dev.lorahub.djl.tokenizers;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.djl.internal.ConfigJson;
import dev.lorahub.io.StrictJson;
import dev.lorahub.io.StrictUtf8;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a {@code tokenizer.json} in Java before the native tokenizers library (Rust, through
 * DJL's JNI) reads it, because that library aborts the whole JVM on some corrupted files instead
 * of failing: version 0.21 deserializes the normalizer, pre-tokenizer, post-processor and decoder
 * through a helper whose error it unwraps ({@code .expect("Helper")}), so a syntax error, a number
 * out of range or nesting past serde_json's recursion limit (128) inside one of them is a Rust
 * panic, which cannot unwind through JNI (exit 134); and a 10^6-character added token made it
 * spin for minutes.
 *
 * <p>Refused, each with a one-line {@link ModelFormatException} naming the file and the key path:
 *
 * <ul>
 *   <li>a file over {@value #MAX_BYTES} bytes; invalid UTF-8 (named by byte offset: Jackson
 *       passes it through in keys); anything that is not strict JSON (syntax, duplicate keys,
 *       content after the root);
 *   <li>nesting deeper than {@value #MAX_DEPTH}, a number longer than {@value #MAX_NUMBER_CHARS}
 *       characters or not finite as a double, a string or key longer than {@value
 *       #MAX_STRING_CHARS} characters;
 *   <li>structure the tokenizers library needs and the model families here use: a root object
 *       with a {@code model} object whose {@code type}, when given, is BPE, WordPiece, WordLevel
 *       or Unigram; a vocabulary of token to id (id an integer in [0, 2^31)) or, for Unigram, of
 *       [token, finite score] pairs; an unknown token the vocabulary holds (WordLevel's {@code
 *       unk_token}, Unigram's {@code unk_id}, BPE's when given), since encoding fails without it;
 *       BPE merges as "a b" strings or [a, b] pairs; added tokens as
 *       objects with an id in [0, 2^31), a non-empty string content and boolean flags; the
 *       normalizer, pre-tokenizer, post-processor and decoder null or objects with a string
 *       {@code type};
 *   <li>a TemplateProcessing post-processor (alone or in a Sequence) whose template names a
 *       special token its {@code special_tokens} lacks, or whose entries have fewer tokens than
 *       ids: the library does not check it when reading and panics when encoding.
 * </ul>
 *
 * What passes may still be refused by the library, with a Java exception that {@link
 * HfTextTokenizer#open} turns into a {@link ModelFormatException}.
 */
final class TokenizerJson {
    /** Released tokenizer.json files are tens of MB at most. */
    static final long MAX_BYTES = 128L << 20;

    /** The files tokenizers writes nest under 10 deep; serde_json's limit is 128. */
    static final int MAX_DEPTH = 64;

    /** Ids, scores and flags: a double's shortest form is at most 24 characters. */
    static final int MAX_NUMBER_CHARS = 64;

    /** Tokens, merges and regex patterns of real files are far shorter. */
    static final int MAX_STRING_CHARS = 4096;

    private static final Set<String> MODEL_TYPES = Set.of("BPE", "WordPiece", "WordLevel", "Unigram");
    private static final Set<String> COMPONENTS =
            Set.of("normalizer", "pre_tokenizer", "post_processor", "decoder");
    private static final Set<String> ADDED_FLAGS =
            Set.of("single_word", "lstrip", "rstrip", "normalized", "special");

    private static final ObjectMapper JSON =
            new ObjectMapper(
                            JsonFactory.builder()
                                    .streamReadConstraints(
                                            StreamReadConstraints.builder()
                                                    .maxNestingDepth(MAX_DEPTH)
                                                    .maxNumberLength(MAX_NUMBER_CHARS)
                                                    .maxStringLength(MAX_STRING_CHARS)
                                                    .maxNameLength(MAX_STRING_CHARS)
                                                    .build())
                                    .build())
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path file;

    private TokenizerJson(Path file) {
        this.file = file;
    }

    /**
     * @param file a {@code tokenizer.json}
     * @throws IOException if it cannot be read
     * @throws ModelFormatException naming the file and the key when it is refused (see class doc)
     */
    static void check(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new ModelFormatException(
                    file, size + " bytes, over the " + MAX_BYTES + " a tokenizer.json may have");
        }
        String text = utf8(file, Files.readAllBytes(file));
        JsonNode root;
        try (JsonParser p = JSON.createParser(text)) {
            try {
                root = JSON.readTree(p);
                StrictJson.requireEnd(p, text);
            } catch (StrictJson.TrailingContentException e) {
                throw new ModelFormatException(
                        file, "not strict JSON: " + e.getOriginalMessage(), e);
            } catch (JsonProcessingException e) {
                String why = String.valueOf(e.getOriginalMessage()).replaceAll("\\s+", " ");
                throw new ModelFormatException(
                        file,
                        "not strict JSON"
                                + at(p)
                                + ": "
                                + (why.length() <= 160 ? why : why.substring(0, 157) + "..."),
                        e);
            }
        }
        new TokenizerJson(file).root(root);
    }

    /** Where the parser is: the key path as a JSON pointer, the line and column. */
    private static String at(JsonParser p) {
        String path = p.getParsingContext().pathAsPointer().toString();
        var loc = p.currentLocation();
        return " at "
                + (path.isEmpty() ? "the root" : ConfigJson.shorten(path))
                + " (line "
                + loc.getLineNr()
                + ", column "
                + loc.getColumnNr()
                + ")";
    }

    /**
     * Decodes strictly: Jackson lets invalid UTF-8 through in keys, which the native library then
     * reads with replacement characters (a special token's name no longer matching its uses).
     */
    private static String utf8(Path file, byte[] bytes) {
        return StrictUtf8.decode(
                bytes,
                bad ->
                        new ModelFormatException(
                                file,
                                String.format(
                                        Locale.ROOT,
                                        "not UTF-8: invalid byte 0x%02X at byte offset %d (line %d)",
                                        bad.value(),
                                        bad.offset(),
                                        bad.line())));
    }

    private void root(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw refuse("the root", "must be an object", root);
        }
        finiteNumbers(root);
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw refuse("model", "must be an object", model);
        }
        String type = model.has("type") ? text(model, "type", "model.type") : "BPE";
        if (!MODEL_TYPES.contains(type)) {
            throw refuse(
                    "model.type", "must be BPE, WordPiece, WordLevel or Unigram", model.get("type"));
        }
        if (type.equals("Unigram")) {
            JsonNode vocab = model.get("vocab");
            unigramVocab(vocab);
            // without it, encoding any text outside the vocabulary fails
            id(model.get("unk_id"), "model.unk_id");
            if (model.get("unk_id").intValue() >= vocab.size()) {
                throw refuse("model.unk_id", "must index the vocabulary of " + vocab.size(), model.get("unk_id"));
            }
        } else {
            JsonNode vocab = model.get("vocab");
            vocab(vocab);
            JsonNode unk = model.get("unk_token");
            boolean required = type.equals("WordLevel"); // BPE may fall back to bytes instead
            if (required || (unk != null && !unk.isNull())) {
                String u = text(model, "unk_token", "model.unk_token");
                if (!vocab.has(u)) {
                    throw refuse("model.unk_token", "must be a token of model.vocab", unk);
                }
            }
        }
        if (type.equals("BPE")) {
            merges(model.get("merges"));
        }
        addedTokens(root.get("added_tokens"));
        for (String c : COMPONENTS) {
            JsonNode n = root.get(c);
            if (n == null || n.isNull()) {
                continue;
            }
            if (!n.isObject()) {
                throw refuse(c, "must be an object or null", n);
            }
            optionalText(n, "type", c + ".type");
        }
        JsonNode post = root.get("post_processor");
        if (post != null && post.isObject()) {
            processor(post, "post_processor");
        }
    }

    /**
     * TemplateProcessing as deserialized is not checked by the library, and encoding with a
     * template that names a special token missing from {@code special_tokens} panics (an
     * {@code unwrap} in processors/template.rs): every use must be declared, with as many ids as
     * tokens. A Sequence's processors are checked the same way.
     */
    private void processor(JsonNode n, String where) {
        JsonNode type = n.get("type");
        if (type == null || !type.isTextual()) {
            return;
        }
        if (type.textValue().equals("Sequence")) {
            JsonNode list = n.get("processors");
            if (list == null || !list.isArray()) {
                throw refuse(where + ".processors", "must be an array", list);
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode p = list.get(i);
                if (!p.isObject()) {
                    throw refuse(where + ".processors[" + i + "]", "must be an object", p);
                }
                processor(p, where + ".processors[" + i + "]");
            }
            return;
        }
        if (!type.textValue().equals("TemplateProcessing")) {
            return;
        }
        JsonNode specials = n.get("special_tokens");
        if (specials == null || !specials.isObject()) {
            throw refuse(where + ".special_tokens", "must be an object", specials);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = specials.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String w = where + ".special_tokens[" + quote(e.getKey()) + "]";
            JsonNode t = e.getValue();
            JsonNode ids = t.get("ids");
            JsonNode tokens = t.get("tokens");
            if (!t.isObject()
                    || !t.path("id").isTextual()
                    || ids == null
                    || !ids.isArray()
                    || tokens == null
                    || !tokens.isArray()
                    || ids.size() != tokens.size()) {
                throw refuse(w, "must be {id: string, ids: [...], tokens: [...]} of equal lengths", t);
            }
            for (int i = 0; i < ids.size(); i++) {
                id(ids.get(i), w + ".ids[" + i + "]");
                if (!tokens.get(i).isTextual()) {
                    throw refuse(w + ".tokens[" + i + "]", "must be a string", tokens.get(i));
                }
            }
        }
        for (String side : new String[] {"single", "pair"}) {
            JsonNode pieces = n.get(side);
            if (pieces == null || !pieces.isArray()) {
                throw refuse(where + "." + side, "must be an array", pieces);
            }
            for (int i = 0; i < pieces.size(); i++) {
                JsonNode special = pieces.get(i).path("SpecialToken").path("id");
                if (special.isTextual() && !specials.has(special.textValue())) {
                    throw refuse(
                            where + "." + side + "[" + i + "].SpecialToken.id",
                            "names no entry of special_tokens",
                            special);
                }
            }
        }
    }

    private void vocab(JsonNode v) {
        if (v == null || !v.isObject()) {
            throw refuse("model.vocab", "must be an object of token to id", v);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            id(e.getValue(), "model.vocab[" + quote(e.getKey()) + "]");
        }
    }

    private void unigramVocab(JsonNode v) {
        if (v == null || !v.isArray()) {
            throw refuse("model.vocab", "must be an array of [token, score] pairs", v);
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode p = v.get(i);
            String where = "model.vocab[" + i + "]";
            if (!p.isArray() || p.size() != 2 || !p.get(0).isTextual() || !p.get(1).isNumber()) {
                throw refuse(where, "must be a [token, score] pair", p);
            }
        }
    }

    private void merges(JsonNode m) {
        if (m == null || m.isNull()) {
            return; // a BPE without merges: every token is whole
        }
        if (!m.isArray()) {
            throw refuse("model.merges", "must be an array", m);
        }
        for (int i = 0; i < m.size(); i++) {
            JsonNode p = m.get(i);
            boolean pair = p.isArray() && p.size() == 2 && p.get(0).isTextual() && p.get(1).isTextual();
            if (!pair && !p.isTextual()) {
                throw refuse("model.merges[" + i + "]", "must be \"a b\" or [\"a\", \"b\"]", p);
            }
        }
    }

    private void addedTokens(JsonNode a) {
        if (a == null || a.isNull()) {
            return;
        }
        if (!a.isArray()) {
            throw refuse("added_tokens", "must be an array", a);
        }
        for (int i = 0; i < a.size(); i++) {
            JsonNode t = a.get(i);
            String where = "added_tokens[" + i + "]";
            if (!t.isObject()) {
                throw refuse(where, "must be an object", t);
            }
            id(t.get("id"), where + ".id");
            String content = text(t, "content", where + ".content");
            if (content.isEmpty()) {
                throw refuse(where + ".content", "must not be empty", t.get("content"));
            }
            for (String flag : ADDED_FLAGS) {
                JsonNode f = t.get(flag);
                if (f != null && !f.isBoolean()) {
                    throw refuse(where + "." + flag, "must be true or false", f);
                }
            }
        }
    }

    private void id(JsonNode v, String where) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw refuse(where, "must be an integer id in [0, 2^31)", v);
        }
    }

    private String text(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) {
            throw refuse(where, "must be a string", v);
        }
        return v.textValue();
    }

    private void optionalText(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v != null && !v.isNull()) {
            text(n, key, where);
        }
    }

    /** serde_json refuses a number that is out of range for f64 (1e999), inside a panic. */
    private void finiteNumbers(JsonNode root) {
        String at = infiniteAt(root);
        if (at != null) {
            throw refuse(at.isEmpty() ? "the root" : at.substring(1), "must be a finite number", null);
        }
    }

    /** The path of the first number that is not finite as a double, or null; built on return. */
    private static String infiniteAt(JsonNode n) {
        if (n.isFloatingPointNumber() || n.isBigInteger()) {
            return Double.isFinite(n.doubleValue()) ? null : "";
        }
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String below = infiniteAt(e.getValue());
                if (below != null) {
                    return "." + e.getKey() + below;
                }
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                String below = infiniteAt(n.get(i));
                if (below != null) {
                    return "[" + i + "]" + below;
                }
            }
        }
        return null;
    }

    private ModelFormatException refuse(String where, String rule, JsonNode value) {
        return new ModelFormatException(
                file,
                ConfigJson.shorten(where)
                        + " "
                        + rule
                        + (value == null ? "" : ", got " + ConfigJson.show(value)));
    }

    private static String quote(String key) {
        return new com.fasterxml.jackson.databind.node.TextNode(key).toString();
    }
}
