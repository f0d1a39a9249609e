package dev.lorahub.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Replaces a whole output folder so that a process killed at any moment ({@code kill -9}, power
 * loss, Ctrl-C) never leaves a partial or mixed folder behind: a reader finds the previous folder,
 * the new one, or (only if killed between the two renames of step 3) no folder, with the previous
 * one kept beside it and put back by the next write or {@link #recover(Path)}.
 *
 * <p>The protocol, for a target {@code P/name}:
 *
 * <ol>
 *   <li>{@link #recover(Path)}: staging folders {@code P/.name.tmp-*} are unfinished writes and are
 *       deleted; if {@code P/name} is absent, an aside folder {@code P/.name.old-*} is the previous
 *       complete folder and is renamed back to {@code P/name}; if {@code P/name} exists, aside
 *       folders are leftovers of a finished swap and are deleted.
 *   <li>Every file is written into a fresh staging folder {@code P/.name.tmp-<random>}, then each
 *       file and the folder are flushed to the device ({@code fsync}).
 *   <li>If {@code P/name} exists it is renamed to {@code P/.name.old-<random>}; the staging folder
 *       is renamed to {@code P/name}; the parent folder is flushed; the aside folder is deleted.
 *       Renames within one folder are atomic on POSIX file systems; if the second rename fails, the
 *       aside folder is renamed back.
 * </ol>
 *
 * <p>One writer per target at a time: a second process writing the same target concurrently may see
 * its staging folder deleted by the first's recovery. Between the renames a reader sees no {@code
 * P/name} (for the time of one rename); any {@code LoraModule.load} then fails with "no such
 * folder", never with a mixed one.
 *
 * <p>{@link #shutdown()} is for an application's shutdown hook (the {@code lorahub} command line
 * installs one): it waits for a swap in progress, so Ctrl-C (SIGINT) or SIGTERM never stops the JVM
 * between the two renames, then refuses new swaps and deletes the staging folders of writes still
 * in progress. The library itself installs no hook.
 */
public final class AtomicFolder {
    /** The infix of staging folders: {@code .name.tmp-<random>}. */
    public static final String STAGING = ".tmp-";

    /** The infix of a previous folder moved aside during a swap: {@code .name.old-<random>}. */
    public static final String ASIDE = ".old-";

    private static final ReentrantLock SWAP = new ReentrantLock();
    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile boolean shuttingDown;

    private AtomicFolder() {}

    /** Writes the contents of a folder. */
    @FunctionalInterface
    public interface Contents {
        /**
         * @param staging an empty folder to write every file into
         * @throws IOException if writing fails; then nothing is replaced
         */
        void writeInto(Path staging) throws IOException;
    }

    /**
     * Replaces {@code dir} with a folder written by {@code contents}, following the protocol in the
     * class comment. An existing {@code dir} is replaced only if every file in it is named in
     * {@code replaceable}; otherwise nothing is written.
     *
     * @param dir the target folder (its parent is created if missing)
     * @param replaceable the file names an existing {@code dir} may hold to be replaced
     * @param kind what such a folder holds, for the refusal, e.g. {@code an adapter's}
     * @param contents writes the files
     * @throws FileAlreadyExistsException if {@code dir} is a file or holds other files
     * @throws IOException if writing or renaming fails; the previous folder is then in place
     * @throws IllegalStateException after {@link #shutdown()}
     */
    public static void replace(Path dir, Set<String> replaceable, String kind, Contents contents)
            throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        recover(target);
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new FileAlreadyExistsException(
                        target.toString(), null, "exists and is not a folder");
            }
            List<String> others = new ArrayList<>();
            try (Stream<Path> s = Files.list(target)) {
                s.map(p -> p.getFileName().toString())
                        .filter(n -> !replaceable.contains(n))
                        .sorted()
                        .forEach(others::add);
            }
            if (!others.isEmpty()) {
                throw new FileAlreadyExistsException(
                        target.toString(),
                        null,
                        "holds files other than "
                                + kind
                                + " "
                                + others
                                + "; refusing to replace it");
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path staging = startStaging(parent, target);
        try {
            contents.writeInto(staging);
            syncTree(staging);
            swap(staging, target);
        } catch (IOException e) {
            if (shuttingDown) { // the hook deleted the staging folder under the write
                throw new IllegalStateException(
                        "shutting down: " + target + " was not replaced (the previous is intact)",
                        e);
            }
            throw e;
        } finally {
            IN_FLIGHT.remove(staging);
            deleteTree(staging);
        }
    }

    /**
     * Finishes or undoes what a killed {@link #replace} left beside {@code dir}: deletes staging
     * folders, puts a previous folder moved aside back if {@code dir} is absent, deletes it if
     * {@code dir} exists. Does nothing when there is nothing to do.
     *
     * @param dir the target folder
     * @return true if a previous folder was put back
     * @throws IOException if listing, renaming or deleting fails
     */
    public static boolean recover(Path dir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return false;
        }
        String staging = "." + target.getFileName() + STAGING;
        String aside = "." + target.getFileName() + ASIDE;
        List<Path> stagings = new ArrayList<>();
        List<Path> asides = new ArrayList<>();
        try (Stream<Path> s = Files.list(parent)) {
            s.forEach(
                    p -> {
                        String n = p.getFileName().toString();
                        if (n.startsWith(staging) && !IN_FLIGHT.contains(p)) {
                            stagings.add(p);
                        } else if (n.startsWith(aside)) {
                            asides.add(p);
                        }
                    });
        }
        for (Path p : stagings) {
            deleteTree(p);
        }
        boolean restored = false;
        if (!Files.exists(target) && !asides.isEmpty()) {
            // one aside at most when every write recovers first; else the newest is the latest
            Path newest = asides.get(0);
            for (Path p : asides) {
                if (Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(newest)) > 0) {
                    newest = p;
                }
            }
            asides.remove(newest);
            move(newest, target);
            syncFolder(parent);
            restored = true;
        }
        for (Path p : asides) {
            deleteTree(p); // the swap that moved it aside had finished
        }
        return restored;
    }

    /**
     * For a shutdown hook: waits for a swap in progress to finish, refuses swaps from now on, and
     * deletes the staging folders of writes in progress. A target is left as it was before the
     * write, or fully replaced.
     */
    public static void shutdown() {
        SWAP.lock();
        try {
            shuttingDown = true;
        } finally {
            SWAP.unlock();
        }
        // The writer threads keep running while shutdown hooks run: a file created between the
        // listing and the folder's deletion makes one pass fail, so retry a few times; once the
        // folder is gone the writer's next file fails, and its own cleanup finds nothing.
        // A writer adds its few files and then stops at the refused swap, so retrying for up to
        // about 2 s (CI saw 20 immediate retries lose the race to a learn write) ends with the
        // folder gone.
        for (Path p : List.copyOf(IN_FLIGHT)) {
            for (int attempt = 0; attempt < 200 && Files.exists(p); attempt++) {
                try {
                    deleteTree(p);
                } catch (IOException | RuntimeException e) {
                    pause(); // a file appeared or vanished under us: try again
                }
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Creates and registers a staging folder under the swap lock, so that {@link #shutdown()} sees
     * every staging folder that exists (it takes the lock before listing them).
     */
    private static Path startStaging(Path parent, Path target) throws IOException {
        SWAP.lock();
        try {
            requireNotShuttingDown(target);
            while (true) {
                Path staging =
                        parent.resolve(
                                "."
                                        + target.getFileName()
                                        + STAGING
                                        + Long.toUnsignedString(RANDOM.nextLong(), 36));
                IN_FLIGHT.add(staging);
                try {
                    Files.createDirectory(staging);
                    return staging;
                } catch (FileAlreadyExistsException e) {
                    IN_FLIGHT.remove(staging); // a name clash: draw another
                } catch (IOException | RuntimeException e) {
                    IN_FLIGHT.remove(staging);
                    throw e;
                }
            }
        } finally {
            SWAP.unlock();
        }
    }

    private static void requireNotShuttingDown(Path target) {
        if (shuttingDown) {
            throw new IllegalStateException(
                    "shutting down: " + target + " was not replaced (the previous is intact)");
        }
    }

    private static void swap(Path staging, Path target) throws IOException {
        SWAP.lock();
        try {
            requireNotShuttingDown(target);
            Path parent = target.getParent();
            if (!Files.exists(target)) {
                move(staging, target);
                syncFolder(parent);
                return;
            }
            Path aside = Files.createTempDirectory(parent, "." + target.getFileName() + ASIDE);
            Files.delete(aside);
            move(target, aside);
            try {
                move(staging, target);
            } catch (IOException | RuntimeException e) {
                move(aside, target);
                throw e;
            }
            syncFolder(parent);
            deleteTree(aside);
        } finally {
            SWAP.unlock();
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Flushes every file under {@code root}, then the folders. */
    private static void syncTree(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            if (Files.isRegularFile(p)) {
                try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    c.force(true);
                }
            } else {
                syncFolder(p);
            }
        }
    }

    /** Flushes a folder's entries where the platform allows opening a folder (not on Windows). */
    private static void syncFolder(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // not supported here; the renames are still atomic against a killed process
        }
    }

    /**
     * Deletes a folder and everything in it. Entries that vanish under the walk are skipped, not
     * failures: the shutdown hook ({@link #shutdown()}) and the writer's own cleanup may delete
     * one staging folder at the same moment, and both must succeed.
     */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(
                root,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                            throws IOException {
                        Files.deleteIfExists(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e)
                            throws IOException {
                        if (e instanceof NoSuchFileException) {
                            return FileVisitResult.CONTINUE; // deleted by the other deleter
                        }
                        throw e;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException e)
                            throws IOException {
                        if (e != null && !(e instanceof NoSuchFileException)) {
                            throw e;
                        }
                        Files.deleteIfExists(dir);
                        return FileVisitResult.CONTINUE;
                    }
                });
    }
}
