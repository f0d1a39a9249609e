package dev.lorahub;

import java.util.List;
import java.util.Objects;

/**
 * How a text example becomes what the model reads: the <em>prompt side</em> (from the input) and
 * the <em>answer side</em> (from the output). A causal model is then fed {@code BOS + prompt +
 * answer + EOS} with the loss on the answer and EOS; a seq2seq model reads the prompt in its
 * encoder and the answer is its decoder target; generation continues the prompt side. The special
 * tokens (BOS, EOS) are the backend's to add, not the template's.
 *
 * <p>The layout is data, not code:
 *
 * <ul>
 *   <li>{@link #of(String, String)}: placeholders {@code {input}} and {@code {output}} in plain
 *       text, e.g. {@code of("{input}>", "{output}")} for the embedded hub, whose modules were
 *       trained on {@code <s> input > output </s>};
 *   <li>{@link #PLAIN}: {@code {input}} / {@code {output}}, the text as given (the layout when a
 *       model declares none);
 *   <li>a model's chat template (Hugging Face {@code chat_template} in {@code
 *       tokenizer_config.json}), rendered by the backend (lorahub-djl renders it with Jinjava).
 * </ul>
 *
 * A model folder declares its layout (for lorahub-djl: {@code lorahub.json}, see
 * docs/examples-and-templates.md); {@code LearnStep.template(...)} and the CLI's {@code --template}
 * override it. Pre-tokenized examples are never touched: their ids are the layout.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface ExampleTemplate {
    /** The text as given: prompt {@code {input}}, answer {@code {output}}. */
    ExampleTemplate PLAIN = of("{input}", "{output}");

    /**
     * @param input the example's input text
     * @return the prompt side, without the backend's special tokens
     */
    String prompt(String input);

    /**
     * @param output the example's output text
     * @return the answer side, without the backend's EOS
     */
    String answer(String output);

    /**
     * @return a one-line description for logs and provenance, e.g. {@code "{input}>" / "{output}"}
     */
    String describe();

    /**
     * @param example an example
     * @return a text example rendered through this template; a pre-tokenized one as it is
     */
    default FewShotExample apply(FewShotExample example) {
        if (example.isTokenized()) {
            return example;
        }
        return FewShotExample.of(
                prompt(example.input().orElseThrow()), answer(example.output().orElseThrow()));
    }

    /**
     * @param examples examples
     * @return each rendered through {@link #apply(FewShotExample)}, in order
     */
    default List<FewShotExample> apply(List<FewShotExample> examples) {
        return examples.stream().map(this::apply).toList();
    }

    /**
     * @param prompt the prompt side with exactly one {@code {input}}, e.g. {@code "{input}>"}
     * @return that template with the answer side {@code {output}}
     * @throws IllegalArgumentException if {@code {input}} is missing or repeated
     */
    static ExampleTemplate of(String prompt) {
        return of(prompt, "{output}");
    }

    /**
     * @param prompt the prompt side with exactly one {@code {input}}
     * @param answer the answer side with exactly one {@code {output}}
     * @return the template; any other text is literal
     * @throws IllegalArgumentException if a placeholder is missing or repeated
     */
    static ExampleTemplate of(String prompt, String answer) {
        return new TextTemplate(prompt, answer);
    }

    /**
     * A template with {@code {input}} / {@code {output}} placeholders in literal text.
     *
     * @param promptSide the prompt side, with one {@code {input}}
     * @param answerSide the answer side, with one {@code {output}}
     */
    record TextTemplate(String promptSide, String answerSide) implements ExampleTemplate {
        private static final String INPUT = "{input}";
        private static final String OUTPUT = "{output}";

        /** Checks each side has its placeholder exactly once. */
        public TextTemplate {
            requireOnce(Objects.requireNonNull(promptSide, "promptSide"), INPUT, "prompt");
            requireOnce(Objects.requireNonNull(answerSide, "answerSide"), OUTPUT, "answer");
        }

        private static void requireOnce(String side, String placeholder, String name) {
            int first = side.indexOf(placeholder);
            if (first < 0 || side.indexOf(placeholder, first + 1) >= 0) {
                throw new IllegalArgumentException(
                        "the "
                                + name
                                + " side of a template must contain "
                                + placeholder
                                + " exactly once, got \""
                                + side
                                + "\"");
            }
        }

        @Override
        public String prompt(String input) {
            return promptSide.replace(INPUT, input);
        }

        @Override
        public String answer(String output) {
            return answerSide.replace(OUTPUT, output);
        }

        @Override
        public String describe() {
            return "\"" + promptSide + "\" / \"" + answerSide + "\"";
        }
    }
}
