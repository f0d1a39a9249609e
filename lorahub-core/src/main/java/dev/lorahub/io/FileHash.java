package dev.lorahub.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The SHA-256 of a file as it was at a moment, computed on first use and cached.
 *
 * <p>{@link #snapshot(Path)} records the file's size, modification time and identity (the inode on
 * Unix); {@link #sha256()} reads the file the first time it is called and refuses, with an {@link
 * IllegalStateException} naming the file and both states, if any of the three changed since the
 * snapshot, before or while it read. A rewrite that keeps size, modification time and identity
 * (possible only within one tick of the file system's clock, or by resetting the time on purpose)
 * is not detected. Loading an adapter takes a snapshot instead of hashing, which halves its cost;
 * the hash is paid only by those who ask for it (provenance, {@code lorahub inspect}).
 *
 * <p>Thread-safe: concurrent first calls may both hash, and agree.
 */
public final class FileHash {
    private final Path file;
    private final State loaded;
    private volatile @Nullable String hex;

    /** What identifies one version of a file. */
    private record State(long size, FileTime modified, @Nullable Object key) {
        static State of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new State(a.size(), a.lastModifiedTime(), a.fileKey());
        }

        @Override
        public String toString() {
            return size + " bytes, modified " + modified + (key == null ? "" : ", id " + key);
        }
    }

    private FileHash(Path file, State loaded) {
        this.file = file;
        this.loaded = loaded;
    }

    /**
     * Records the file's current size, modification time and identity; reads no content.
     *
     * @param file a regular file
     * @return the not yet computed hash of the file as it is now
     * @throws IOException if the file's attributes cannot be read
     */
    public static FileHash snapshot(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        return new FileHash(file, State.of(file));
    }

    /**
     * @return the file whose hash this is
     */
    public Path file() {
        return file;
    }

    /**
     * @return whether {@link #sha256()} has been computed already (it then never reads again)
     */
    public boolean isComputed() {
        return hex != null;
    }

    /**
     * The lower-case hex SHA-256 of the file as it was at {@link #snapshot(Path)}; read on the
     * first call, then cached.
     *
     * @return 64 hex digits
     * @throws IllegalStateException if the file was changed, replaced or deleted since the snapshot
     *     (the hash of the bytes snapshotted can no longer be known: load the file again)
     * @throws UncheckedIOException if the file cannot be read
     */
    public String sha256() {
        String h = hex;
        if (h == null) {
            try {
                requireUnchanged();
                h = digest(file);
                requireUnchanged();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot hash " + file + ": " + e.getMessage(), e);
            }
            hex = h;
        }
        return h;
    }

    private void requireUnchanged() throws IOException {
        State now;
        try {
            now = State.of(file);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException(
                    file + " was deleted since it was loaded; its SHA-256 is unknown", e);
        }
        if (!now.equals(loaded)) {
            throw new IllegalStateException(
                    file
                            + " changed since it was loaded (then "
                            + loaded
                            + "; now "
                            + now
                            + "), so the SHA-256 of the loaded bytes is unknown; load it again");
        }
    }

    /**
     * @param file a file
     * @return its lower-case hex SHA-256, read now
     * @throws IOException if it cannot be read
     */
    static String digest(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Override
    public String toString() {
        return "FileHash[" + file + (hex == null ? ", not computed" : ", " + hex) + "]";
    }
}
