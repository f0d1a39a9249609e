package dev.lorahub.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * A fixture file kept in parts so that no committed file is over ~5 MB ({@code X.part0}, {@code
     * X.part1}, ... made with {@code split -b}; their concatenation is the upstream file byte for
     * byte, which the tests reading it check against its recorded SHA-256).
     *
     * @param relative the path of the whole file under the fixtures folder, e.g. {@code
     *     gguf-quants/models/tiny-llama-F32.gguf}
     * @return the whole file, joined once per JVM into a temporary folder deleted on exit
     * @throws IllegalStateException when {@code X.part0} is absent
     */
    public static synchronized Path requireJoined(String relative) {
        Path first = require(relative + ".part0");
        Path joined = JOINED.resolve(relative.replace('/', '_'));
        if (Files.exists(joined)) {
            return joined;
        }
        try {
            Path tmp = Files.createTempFile(JOINED, "join", ".tmp");
            List<Path> parts = new ArrayList<>();
            for (int i = 0; Files.exists(first.resolveSibling(name(relative) + ".part" + i)); i++) {
                parts.add(first.resolveSibling(name(relative) + ".part" + i));
            }
            try (OutputStream out = Files.newOutputStream(tmp)) {
                for (Path part : parts) {
                    Files.copy(part, out);
                }
            }
            Files.move(tmp, joined, StandardCopyOption.ATOMIC_MOVE);
            joined.toFile().deleteOnExit();
            return joined;
        } catch (IOException e) {
            throw new UncheckedIOException("joining the parts of " + first, e);
        }
    }

    private static String name(String relative) {
        return Paths.get(relative).getFileName().toString();
    }

    private static final Path JOINED = joinedRoot();

    private static Path joinedRoot() {
        try {
            Path dir = Files.createTempDirectory("lorahub-testdata-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
