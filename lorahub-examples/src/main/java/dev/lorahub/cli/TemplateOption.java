package dev.lorahub.cli;

import dev.lorahub.ExampleTemplate;
import dev.lorahub.model.BaseModel;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * {@code --template}, shared by {@code score}, {@code learn}, {@code generate} and {@code demo}:
 * how a text example's input becomes the prompt ({@code {input}} is replaced by the input; the
 * output follows as given). Without it the model folder's declared layout is used (see
 * docs/examples-and-templates.md). Pre-tokenized examples are never changed.
 */
final class TemplateOption {
    @Option(
            names = "--template",
            paramLabel = "TEXT",
            description =
                    "Prompt layout, e.g. '{input}>' (default: what the model folder declares in"
                            + " lorahub.json or its chat_template, else '{input}').")
    @Nullable String template;

    /**
     * @return the {@code --template} layout, when given
     * @throws IllegalArgumentException naming the option and its value if {@code {input}} is
     *     missing or repeated
     */
    Optional<ExampleTemplate> override() {
        if (template == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ExampleTemplate.of(template));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--template: " + e.getMessage(), e);
        }
    }

    /**
     * @param model the loaded model
     * @return {@code --template} when given, else the layout the model declares
     */
    ExampleTemplate resolve(BaseModel model) {
        return override().orElseGet(model::template);
    }
}
