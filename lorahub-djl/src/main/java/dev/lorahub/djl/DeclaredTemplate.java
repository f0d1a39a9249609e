package dev.lorahub.djl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.djl.tokenizers.ChatTemplate;
import dev.lorahub.io.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;

/**
 * The example layout a model folder declares, in this order:
 *
 * <ol>
 *   <li>{@value #FILE}: {@code {"prompt_template": "{input}>", "answer_template": "{output}"}} (the
 *       answer side is optional, default {@code {output}}), a plain-text layout as in {@link
 *       ExampleTemplate#of(String, String)}; the embedded hub's base declares {@code "{input}>"};
 *   <li>{@code tokenizer_config.json}'s {@code chat_template} (Hugging Face's, for
 *       instruction-tuned models), rendered by {@link ChatTemplate};
 *   <li>else {@link ExampleTemplate#PLAIN}.
 * </ol>
 *
 * See docs/examples-and-templates.md.
 */
public final class DeclaredTemplate {
    /** The file a model folder declares its plain-text layout in. */
    public static final String FILE = "lorahub.json";

    /** The keys {@value #FILE} may hold. */
    public static final Set<String> KEYS = Set.of("prompt_template", "answer_template");

    private DeclaredTemplate() {}

    /**
     * @param dir a model folder
     * @return the layout it declares, {@link ExampleTemplate#PLAIN} if none
     * @throws ModelFormatException naming the file and key when a declaration is malformed
     * @throws IOException if a file cannot be read
     */
    public static ExampleTemplate read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (Files.isRegularFile(file)) {
            return readPlain(file);
        }
        Path tokenizerConfig = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tokenizerConfig)) {
            JsonNode root = json(tokenizerConfig);
            if (root.has("chat_template")) {
                return ChatTemplate.fromTokenizerConfig(tokenizerConfig, root);
            }
        }
        return ExampleTemplate.PLAIN;
    }

    private static ExampleTemplate readPlain(Path file) throws IOException {
        JsonNode root = json(file);
        if (!root.isObject()) {
            throw new ModelFormatException(
                    file, "expected a JSON object, got " + root.getNodeType());
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new ModelFormatException(
                        file,
                        "unknown key '" + key + "' (known: prompt_template, answer_template)");
            }
        }
        String prompt = text(file, root, "prompt_template", "{input}");
        String answer = text(file, root, "answer_template", "{output}");
        requireOnce(file, "prompt_template", prompt, "{input}");
        requireOnce(file, "answer_template", answer, "{output}");
        return ExampleTemplate.of(prompt, answer);
    }

    private static void requireOnce(Path file, String key, String text, String placeholder) {
        int first = text.indexOf(placeholder);
        if (first < 0 || text.indexOf(placeholder, first + 1) >= 0) {
            throw new ModelFormatException(
                    file,
                    "'"
                            + key
                            + "' must contain "
                            + placeholder
                            + " exactly once, got \""
                            + text
                            + "\"");
        }
    }

    private static String text(Path file, JsonNode root, String key, String fallback) {
        JsonNode n = root.get(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new ModelFormatException(
                    file, "'" + key + "' must be a string, got " + n.getNodeType() + " " + n);
        }
        return n.asText();
    }

    static JsonNode json(Path file) throws IOException {
        try {
            return StrictJson.read(new ObjectMapper(), file);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
