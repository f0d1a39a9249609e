package dev.lorahub.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates {@code ../shared} (the upstream fixtures and specs beside the checkout). Tests that need
 * it call {@link #require(String)}, which skips the test with a clear reason where it is absent.
 */
public final class SharedFixtures {
    private SharedFixtures() {}

    /**
     * @return the shared folder, or null when it cannot be found
     */
    public static Path root() {
        String prop = System.getProperty("lorahub.shared");
        if (prop != null && Files.isDirectory(Paths.get(prop, "fixtures"))) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        Path dir = Paths.get("").toAbsolutePath();
        for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
            Path candidate = dir.resolve("../shared").normalize();
            if (Files.isDirectory(candidate.resolve("fixtures"))) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * @param relative a path under {@code shared/fixtures}, e.g. {@code hf-tiny/llama}
     * @return the absolute path; skips the calling test when it does not exist
     */
    public static Path require(String relative) {
        Path root = root();
        Assumptions.assumeTrue(
                root != null,
                "skipped: ../shared/fixtures not found beside the checkout (set -Dlorahub.shared)");
        Path p = root.resolve("fixtures").resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "skipped: fixture " + p + " is absent");
        return p;
    }
}
