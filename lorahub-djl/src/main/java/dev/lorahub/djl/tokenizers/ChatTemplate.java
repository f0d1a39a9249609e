package dev.lorahub.djl.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.djl.ModelFormatException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face {@code chat_template} (a Jinja template in {@code tokenizer_config.json}) as an
 * {@link ExampleTemplate}, rendered with Jinjava configured as transformers' {@code
 * apply_chat_template} configures Jinja ({@code trim_blocks}, {@code lstrip_blocks}, a {@code
 * raise_exception(message)} function).
 *
 * <p>The prompt side is {@code render(messages = [{"role": "user", "content": input}],
 * add_generation_prompt = true)}; the answer side is the output as given (the backend appends EOS,
 * as for any answer). Special tokens: {@code eos_token}, {@code unk_token} and {@code pad_token}
 * render as the strings {@code tokenizer_config.json} declares, {@code bos_token} renders as the
 * empty string because the backend encodes every prompt with the tokenizer's own special tokens
 * (BOS for LLaMA-family tokenizers); transformers instead renders {@code bos_token} into the text
 * and encodes without special tokens. The two agree whenever the template starts with {@code
 * bos_token} and the tokenizer adds BOS, as in the LLaMA, Mistral and Zephyr templates.
 *
 * <p>Immutable and thread-safe (each render makes its own interpreter).
 */
public final class ChatTemplate implements ExampleTemplate {
    private static final String REFUSED = "chat template refused the conversation: ";

    private final String source;
    private final Path file;
    private final Map<String, String> tokens;
    private final Jinjava jinjava;

    private ChatTemplate(String source, Path file, Map<String, String> tokens) {
        this.source = source;
        this.file = file;
        this.tokens = Map.copyOf(tokens);
        this.jinjava =
                new Jinjava(
                        JinjavaConfig.newBuilder()
                                .withTrimBlocks(true)
                                .withLstripBlocks(true)
                                .build());
        jinjava.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition(
                                "",
                                "raise_exception",
                                ChatTemplate.class,
                                "raiseException",
                                String.class));
    }

    /**
     * @param source the Jinja template text
     * @param file where it came from (named in errors)
     * @param specialTokens strings for {@code eos_token}, {@code unk_token}, {@code pad_token} (a
     *     {@code bos_token} entry is ignored: it renders empty, see the class comment)
     * @return the template
     */
    public static ChatTemplate of(String source, Path file, Map<String, String> specialTokens) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(file, "file");
        Map<String, String> t = new HashMap<>(specialTokens);
        t.put("bos_token", "");
        return new ChatTemplate(source, file, t);
    }

    /**
     * @param file a {@code tokenizer_config.json}
     * @param root its parsed content, holding {@code chat_template}: a string, or a list of {@code
     *     {"name", "template"}} of which the one named {@code default} is taken
     * @return the template with the special tokens the file declares
     * @throws ModelFormatException naming the file and key if {@code chat_template} is malformed
     */
    public static ChatTemplate fromTokenizerConfig(Path file, JsonNode root) {
        JsonNode t = root.get("chat_template");
        String source = null;
        if (t.isTextual()) {
            source = t.asText();
        } else if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText(null))
                        && named.path("template").isTextual()) {
                    source = named.get("template").asText();
                }
            }
        }
        if (source == null) {
            throw new ModelFormatException(
                    file,
                    "'chat_template' must be a string or a list holding {\"name\": \"default\","
                            + " \"template\": ...}, got "
                            + abbreviate(t.toString()));
        }
        Map<String, String> tokens = new HashMap<>();
        for (String key : List.of("eos_token", "unk_token", "pad_token")) {
            JsonNode n = root.get(key);
            if (n != null && n.isTextual()) {
                tokens.put(key, n.asText());
            } else if (n != null && n.path("content").isTextual()) { // a serialized AddedToken
                tokens.put(key, n.get("content").asText());
            }
        }
        return of(source, file, tokens);
    }

    @Override
    public String prompt(String input) {
        Map<String, Object> bindings = new HashMap<>(tokens);
        bindings.put("messages", List.of(Map.of("role", "user", "content", input)));
        bindings.put("add_generation_prompt", true);
        RenderResult r = jinjava.renderForResult(source, bindings);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ModelFormatException(
                        file,
                        "'chat_template' failed to render for input \""
                                + abbreviate(input)
                                + "\": "
                                + detail(e));
            }
        }
        return r.getOutput();
    }

    /** The template's own {@code raise_exception} message when there is one, else Jinjava's. */
    private static String detail(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException
                    && t.getMessage() != null
                    && t.getMessage().startsWith(REFUSED)) {
                return t.getMessage();
            }
        }
        return e.getMessage();
    }

    @Override
    public String answer(String output) {
        return output;
    }

    @Override
    public String describe() {
        return "chat_template of " + file;
    }

    /**
     * The {@code raise_exception(message)} function chat templates call to refuse a conversation.
     *
     * @param message the template's message
     * @return never
     * @throws IllegalArgumentException always, with the message
     */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(REFUSED + message);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
