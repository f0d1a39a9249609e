package dev.lorahub.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The files currently open in a {@link SafetensorsReader} of this JVM, so that the writer can
 * refuse to replace a file that is still being read (its mapped buffers would keep the old bytes on
 * POSIX and make the replace fail on Windows).
 */
final class OpenFiles {
    private static final Map<Path, Integer> OPEN = new HashMap<>();

    private OpenFiles() {}

    static Path key(Path file) {
        try {
            return file.toRealPath();
        } catch (IOException e) {
            return file.toAbsolutePath().normalize();
        }
    }

    static synchronized void add(Path key) {
        OPEN.merge(key, 1, Integer::sum);
    }

    static synchronized void remove(Path key) {
        OPEN.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }

    static synchronized boolean isOpen(Path file) {
        return Files.exists(file) && OPEN.containsKey(key(file));
    }
}
