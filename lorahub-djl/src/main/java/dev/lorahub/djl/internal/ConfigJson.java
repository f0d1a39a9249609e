package dev.lorahub.djl.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.io.StrictJson;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reading a model folder's JSON files ({@code config.json}, {@code
 * model.safetensors.index.json}) the one way every model family does: a file that is not one JSON
 * object (content after it included, see {@link StrictJson}) is a {@link ModelFormatException}
 * naming it; values are read strictly, a value of the
 * wrong type refused instead of coerced (Jackson's {@code asDouble} reads {@code "abc"} as the
 * default and {@code true} as 1.0, {@code asInt} truncates 64.5); absent or {@code null} keys take
 * the default; token ids may be a number or a list (HF writes {@code eos_token_id: [1, 2]} for
 * several EOS), the first counting. Value errors are {@link IllegalArgumentException}s naming the
 * key and the value (shortened to 40 characters, so that a message stays one short line), which
 * the caller turns into a {@link ModelFormatException} naming its file.
 */
public final class ConfigJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN_CHARS = 40;

    private ConfigJson() {}

    /**
     * @param file a JSON file holding an object
     * @return its root object
     * @throws IOException if it cannot be read
     * @throws ModelFormatException naming the file if it is not JSON or not an object
     */
    public static JsonNode read(Path file) throws IOException {
        JsonNode root;
        try {
            root = StrictJson.read(JSON, file);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(
                    file, "not valid JSON: " + shorten(String.valueOf(e.getOriginalMessage()), 200), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(
                    file, "expected a JSON object, got " + (root == null ? "nothing" : show(root)));
        }
        return root;
    }

    /**
     * @param root a JSON object
     * @param key the key
     * @return its integer value
     * @throws IllegalArgumentException if absent, null or not an integer in int range
     */
    public static int requiredInt(JsonNode root, String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing integer \"" + key + "\"");
        }
        return intOr(root, key, 0);
    }

    /**
     * @param root a JSON object
     * @param key the key
     * @param fallback the value when the key is absent or null
     * @return its integer value, or the fallback
     * @throws IllegalArgumentException if present but not an integer in int range
     */
    public static int intOr(JsonNode root, String key, int fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(
                    "\"" + key + "\" must be an integer (32-bit), got " + show(v));
        }
        return v.intValue();
    }

    /**
     * @param root a JSON object
     * @param key the key
     * @param fallback the value when the key is absent or null
     * @return its value, a finite number
     * @throws IllegalArgumentException for any other value
     */
    public static double doubleOr(JsonNode root, String key, double fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw new IllegalArgumentException(
                    "\"" + key + "\" must be a finite number, got " + show(v));
        }
        return v.doubleValue();
    }

    /**
     * @param root a JSON object
     * @param key the key
     * @param fallback the value when the key is absent or null
     * @return its value, a JSON boolean
     * @throws IllegalArgumentException for any other value
     */
    public static boolean booleanOr(JsonNode root, String key, boolean fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(
                    "\"" + key + "\" must be true or false, got " + show(v));
        }
        return v.booleanValue();
    }

    /**
     * @param root a JSON object
     * @param key the key
     * @param fallback the value when the key is absent or null
     * @return its value, a JSON string
     * @throws IllegalArgumentException for any other value
     */
    public static String textOr(JsonNode root, String key, String fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a string, got " + show(v));
        }
        return v.textValue();
    }

    /**
     * @param root a JSON object
     * @param key a token-id key such as {@code eos_token_id}
     * @param fallback the value when absent, null, an empty list or not an integer
     * @return the id, or the first id of a list
     */
    public static int tokenId(JsonNode root, String key, int fallback) {
        JsonNode v = root.get(key);
        if (v != null && v.isArray() && !v.isEmpty()) {
            v = v.get(0);
        }
        return v != null && v.isIntegralNumber() && v.canConvertToInt() ? v.intValue() : fallback;
    }

    /**
     * @param s a string read from a file
     * @return it cut to 40 characters with "...", line breaks as spaces
     */
    public static String shorten(String s) {
        return shorten(s, SHOWN_CHARS);
    }

    private static String shorten(String s, int max) {
        String t = s.replaceAll("[\\r\\n]+", " ");
        return t.length() <= max ? t : t.substring(0, max - 3) + "...";
    }

    /**
     * @param v a value
     * @return its JSON text, cut to 40 characters with "..."
     */
    public static String show(JsonNode v) {
        return shorten(v.toString());
    }
}
