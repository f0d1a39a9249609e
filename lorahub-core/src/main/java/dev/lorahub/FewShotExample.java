package dev.lorahub;

import java.util.Objects;
import java.util.Optional;

/**
 * One example of a task: an input and the output the model should produce. Either text ({@link
 * #of(String, String)}) that a backend tokenizes, or pre-tokenized ids with Hugging Face semantics
 * ({@link #tokenized(int[], int[])}): for a causal LM {@code labels} align with {@code inputIds}
 * and are shifted inside the loss; for a seq2seq model {@code labels} are the decoder targets; -100
 * marks a position to ignore.
 */
public final class FewShotExample {
    /** The label value that marks a position the loss ignores, as in Hugging Face. */
    public static final int IGNORE_INDEX = -100;

    private final String input;
    private final String output;
    private final int[] inputIds;
    private final int[] labels;

    private FewShotExample(String input, String output, int[] inputIds, int[] labels) {
        this.input = input;
        this.output = output;
        this.inputIds = inputIds;
        this.labels = labels;
    }

    /**
     * @param input the prompt text
     * @param output the target text
     * @return a text example
     */
    public static FewShotExample of(String input, String output) {
        return new FewShotExample(
                Objects.requireNonNull(input, "input"),
                Objects.requireNonNull(output, "output"),
                null,
                null);
    }

    /**
     * @param inputIds token ids of the input (causal LM: prompt and target; seq2seq: encoder input)
     * @param labels HF labels: causal LM aligned with inputIds, seq2seq decoder targets; -100
     *     ignored
     * @return a pre-tokenized example
     */
    public static FewShotExample tokenized(int[] inputIds, int[] labels) {
        Objects.requireNonNull(inputIds, "inputIds");
        Objects.requireNonNull(labels, "labels");
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("inputIds must not be empty");
        }
        return new FewShotExample(null, null, inputIds.clone(), labels.clone());
    }

    /**
     * @return true when this example carries token ids rather than text
     */
    public boolean isTokenized() {
        return inputIds != null;
    }

    /**
     * @return the input text, empty for a pre-tokenized example
     */
    public Optional<String> input() {
        return Optional.ofNullable(input);
    }

    /**
     * @return the output text, empty for a pre-tokenized example
     */
    public Optional<String> output() {
        return Optional.ofNullable(output);
    }

    /**
     * @return a copy of the input ids, empty for a text example
     */
    public Optional<int[]> inputIds() {
        return Optional.ofNullable(inputIds).map(int[]::clone);
    }

    /**
     * @return a copy of the labels, empty for a text example
     */
    public Optional<int[]> labels() {
        return Optional.ofNullable(labels).map(int[]::clone);
    }

    @Override
    public String toString() {
        return isTokenized()
                ? "FewShotExample[" + inputIds.length + " input ids, " + labels.length + " labels]"
                : "FewShotExample[" + input + " -> " + output + "]";
    }
}
