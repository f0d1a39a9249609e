package dev.lorahub.hub;

import java.util.Objects;

/**
 * One (input, output) pair of a task.
 *
 * @param input lowercase letters
 * @param output the expected answer, never empty
 */
public record TaskExample(String input, String output) {
    /** Validates both strings. */
    public TaskExample {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        if (input.isEmpty() || output.isEmpty()) {
            throw new IllegalArgumentException(
                    "input and output must not be empty, got '" + input + "' -> '" + output + "'");
        }
    }
}
