package dev.lorahub;

import dev.lorahub.internal.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Atomic text writes for the files a LoraHub result saves. */
final class JsonFiles {
    private JsonFiles() {}

    /** Creates the folder if needed, then writes the text atomically ({@link AtomicFiles}). */
    static void writeAtomically(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        AtomicFiles.writeString(abs, text);
    }
}
