package dev.lorahub.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way lorahub writes a file: into a temp file beside the target ({@code .<name>.<random>.tmp}
 * in the same folder, so the move stays on one file system), synced to disk, then moved over the
 * target, atomically where the file system allows it. A failure leaves the target as it was and
 * removes the temp file; readers never see a partial file. The target's folder must exist. A new
 * target gets the permissions of any new file in its folder (the umask's), a replaced one too.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes a file's content into an open channel. */
    @FunctionalInterface
    public interface Content {
        /**
         * @param channel the temp file, empty, open for writing
         * @throws IOException if writing fails
         */
        void writeTo(FileChannel channel) throws IOException;
    }

    /**
     * @param file the target, replaced if it exists
     * @param content writes the new content
     * @throws IOException if writing or moving fails (the target is then unchanged)
     */
    public static void write(Path file, Content content) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = createBeside(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                ch.force(true);
            }
            moveReplacing(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A new empty {@code .<name>.<random>.tmp} beside the target, created as any new file is, so the
     * process's umask sets its permissions (and the target's after the move): {@code
     * Files.createTempFile} would make it owner-only (0600), which a llama.cpp server or a reader
     * running as another user could not open.
     */
    private static Path createBeside(Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp =
                    target.resolveSibling(
                            "."
                                    + target.getFileName()
                                    + "."
                                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong())
                                    + ".tmp");
            try {
                FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * @param file the target, replaced if it exists
     * @param bytes the new content
     * @throws IOException if writing or moving fails (the target is then unchanged)
     */
    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /**
     * @param file the target, replaced if it exists
     * @param text the new content, written as UTF-8
     * @throws IOException if writing or moving fails (the target is then unchanged)
     */
    public static void writeString(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Moves a file over another, atomically where the file system allows it.
     *
     * @param from the source
     * @param to the target, replaced if it exists
     * @throws IOException if the move fails
     */
    public static void moveReplacing(Path from, Path to) throws IOException {
        try {
            Files.move(
                    from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Writes all of {@code src} (a channel may write less than asked in one call).
     *
     * @param ch the channel
     * @param src the bytes, consumed
     * @throws IOException if writing fails
     */
    public static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            ch.write(src);
        }
    }
}
