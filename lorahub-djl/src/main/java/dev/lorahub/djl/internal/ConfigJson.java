package dev.lorahub.djl.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reading a model folder's JSON files ({@code config.json}, {@code
 * model.safetensors.index.json}) the one way every model family does: a file that is not JSON is a
 * {@link ModelFormatException} naming it; integer keys are read strictly; token ids may be a
 * number or a list (HF writes {@code eos_token_id: [1, 2]} for several EOS), the first counting.
 * Value errors are {@link IllegalArgumentException}s naming the key and the value, which the
 * caller turns into a {@link ModelFormatException} naming its file.
 */
public final class ConfigJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigJson() {}

    /**
     * @param file a JSON file
     * @return its root
     * @throws IOException if it cannot be read
     * @throws ModelFormatException naming the file if it is not JSON
     */
    public static JsonNode read(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param root a JSON object
     * @param key the key
     * @return its integer value
     * @throws IllegalArgumentException if absent, null or not an integer
     */
    public static int requiredInt(JsonNode root, String key) {
        JsonNode v = root.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("missing or invalid integer \"" + key + "\": " + v);
        }
        return v.intValue();
    }

    /**
     * @param root a JSON object
     * @param key the key
     * @param fallback the value when the key is absent or null
     * @return its integer value, or the fallback
     * @throws IllegalArgumentException if present but not an integer
     */
    public static int intOr(JsonNode root, String key, int fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(key + " must be an integer, got " + v);
        }
        return v.intValue();
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
}
