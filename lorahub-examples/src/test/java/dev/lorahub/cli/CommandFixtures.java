package dev.lorahub.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Helpers for command tests that need a modifiable copy of a fixture. */
final class CommandFixtures {
    private CommandFixtures() {}

    /** Copies the files of an adapter folder (not recursive) into a new folder. */
    static Path copyAdapter(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
