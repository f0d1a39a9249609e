package dev.lorahub.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates the test data committed with the project: {@code lorahub-core/src/test/fixtures}, files
 * written by real upstream code (transformers, PEFT, ggml, huggingface_hub), each with its
 * provenance in that folder's README. A missing file is a failure, never a skip: a fresh clone has
 * every fixture.
 */
public final class TestData {
    private TestData() {}

    /**
     * @return the fixtures folder ({@code -Dlorahub.testdata}, which the build sets, else found by
     *     walking up from the working directory)
     * @throws IllegalStateException when it cannot be found
     */
    public static Path root() {
        String prop = System.getProperty("lorahub.testdata");
        if (prop != null && Files.isDirectory(Paths.get(prop))) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        Path dir = Paths.get("").toAbsolutePath();
        for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
            Path candidate = dir.resolve("lorahub-core/src/test/fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "test data not found: neither -Dlorahub.testdata nor lorahub-core/src/test/fixtures"
                        + " above "
                        + Paths.get("").toAbsolutePath());
    }

    /**
     * @param relative a path under the fixtures folder, e.g. {@code hf-tiny/llama}
     * @return the absolute path
     * @throws IllegalStateException when it does not exist (a test then fails, it never skips)
     */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("test fixture " + p + " is absent");
        }
        return p;
    }
}
