package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The folder-replacement protocol, state by state: what a process killed at each step leaves, and
 * what {@link AtomicFolder#recover} and the next {@link AtomicFolder#replace} make of it.
 */
class AtomicFolderTest {
    @TempDir Path tmp;

    private static void write(Path dir, String text) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("a.txt"), text);
        Files.writeString(dir.resolve("b.txt"), text);
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String read(Path dir) throws IOException {
        String a = Files.readString(dir.resolve("a.txt"));
        assertThat(Files.readString(dir.resolve("b.txt"))).as("same write").isEqualTo(a);
        return a;
    }

    private static AtomicFolder.Contents contents(String text) {
        return staging -> write(staging, text);
    }

    @Test
    void replace_writes_a_new_folder_and_replaces_an_old_one_leaving_nothing_beside()
            throws IOException {
        Path out = tmp.resolve("out");
        AtomicFolder.replace(out, Set.of("a.txt", "b.txt"), "a test's", contents("one"));
        assertThat(read(out)).isEqualTo("one");
        AtomicFolder.replace(out, Set.of("a.txt", "b.txt"), "a test's", contents("two"));
        assertThat(read(out)).isEqualTo("two");
        assertThat(names()).containsExactly("out");
    }

    @Test
    void
            killed_while_writing_the_staging_folder_leaves_the_previous_and_recovery_deletes_the_staging()
                    throws IOException {
        Path out = tmp.resolve("out");
        write(out, "old");
        write(tmp.resolve(".out" + AtomicFolder.STAGING + "123"), "half");
        assertThat(AtomicFolder.recover(out)).isFalse();
        assertThat(read(out)).isEqualTo("old");
        assertThat(names()).containsExactly("out");
    }

    @Test
    void killed_between_the_two_renames_leaves_no_folder_and_recovery_puts_the_previous_back()
            throws IOException {
        Path out = tmp.resolve("out");
        write(tmp.resolve(".out" + AtomicFolder.ASIDE + "123"), "old");
        write(tmp.resolve(".out" + AtomicFolder.STAGING + "456"), "new");
        assertThat(AtomicFolder.recover(out)).isTrue();
        assertThat(read(out)).isEqualTo("old");
        assertThat(names()).containsExactly("out");
    }

    @Test
    void killed_while_deleting_the_old_folder_keeps_the_new_and_recovery_deletes_the_old()
            throws IOException {
        Path out = tmp.resolve("out");
        write(out, "new");
        Path aside = tmp.resolve(".out" + AtomicFolder.ASIDE + "123");
        Files.createDirectories(aside);
        Files.writeString(aside.resolve("b.txt"), "old"); // a.txt already deleted
        assertThat(AtomicFolder.recover(out)).isFalse();
        assertThat(read(out)).isEqualTo("new");
        assertThat(names()).containsExactly("out");
    }

    @Test
    void the_next_replace_recovers_first_so_a_failed_write_still_leaves_the_previous()
            throws IOException {
        Path out = tmp.resolve("out");
        write(tmp.resolve(".out" + AtomicFolder.ASIDE + "123"), "old");
        assertThatThrownBy(
                        () ->
                                AtomicFolder.replace(
                                        out,
                                        Set.of("a.txt", "b.txt"),
                                        "a test's",
                                        staging -> {
                                            Files.writeString(staging.resolve("a.txt"), "x");
                                            throw new IOException("disk full");
                                        }))
                .hasMessage("disk full");
        assertThat(read(out)).isEqualTo("old");
        assertThat(names()).containsExactly("out");
    }

    @Test
    void a_folder_with_other_files_is_refused_naming_them_and_left_untouched() throws IOException {
        Path out = tmp.resolve("out");
        write(out, "old");
        Files.writeString(out.resolve("notes.md"), "mine", StandardCharsets.UTF_8);
        assertThatThrownBy(
                        () ->
                                AtomicFolder.replace(
                                        out, Set.of("a.txt", "b.txt"), "a test's", contents("new")))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("holds files other than a test's [notes.md]");
        assertThat(read(out)).isEqualTo("old");
        assertThat(Files.readString(out.resolve("notes.md"))).isEqualTo("mine");
        assertThat(names()).containsExactly("out");
    }

    /**
     * The shutdown hook deletes a staging folder while the writer's own cleanup deletes it too (CI
     * saw the writer's walk fail on a file the hook had just removed, "trace.csv: no such file",
     * which hid the "shutting down" refusal). Two deleters of one tree must both succeed.
     */
    @Test
    void two_threads_deleting_one_tree_at_once_both_succeed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 40; round++) {
                Path tree = tmp.resolve("tree-" + round);
                for (int d = 0; d < 4; d++) {
                    for (int f = 0; f < 50; f++) {
                        Path file = tree.resolve("d" + d).resolve("f" + f + ".txt");
                        Files.createDirectories(file.getParent());
                        Files.writeString(file, "x");
                    }
                }
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Void>> deleters = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    deleters.add(
                            pool.submit(
                                    () -> {
                                        go.await();
                                        AtomicFolder.deleteTree(tree);
                                        return null;
                                    }));
                }
                go.countDown();
                for (Future<Void> d : deleters) {
                    d.get(1, TimeUnit.MINUTES); // rethrows a deleter's failure (round in the trace)
                }
                assertThat(tree).as("round %d", round).doesNotExist();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
