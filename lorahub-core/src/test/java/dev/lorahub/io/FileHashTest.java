package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileHashTest {
    @TempDir Path dir;

    private static String reference(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private Path file(byte[] bytes) throws Exception {
        Path f = dir.resolve("weights.bin");
        Files.write(f, bytes);
        return f;
    }

    @Test
    void hashes_nothing_until_asked_then_matches_message_digest() throws Exception {
        byte[] bytes = new byte[200_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        FileHash h = FileHash.snapshot(file(bytes));

        assertThat(h.isComputed()).isFalse();
        assertThat(h.sha256()).isEqualTo(reference(bytes));
        assertThat(h.isComputed()).isTrue();
    }

    @Test
    void hash_of_the_empty_file_is_the_known_constant() throws Exception {
        assertThat(FileHash.snapshot(file(new byte[0])).sha256())
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void refuses_when_the_file_changed_size_after_the_snapshot() throws Exception {
        Path f = file(new byte[] {1, 2, 3});
        FileHash h = FileHash.snapshot(f);
        Files.write(f, new byte[] {1, 2, 3, 4});

        assertThatThrownBy(h::sha256)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("3 bytes")
                .hasMessageContaining("4 bytes");
    }

    @Test
    void refuses_when_only_the_modification_time_changed() throws Exception {
        Path f = file(new byte[] {1, 2, 3});
        FileTime then = Files.getLastModifiedTime(f);
        FileHash h = FileHash.snapshot(f);
        Files.write(f, new byte[] {9, 9, 9});
        Files.setLastModifiedTime(f, FileTime.fromMillis(then.toMillis() + 5_000));

        assertThatThrownBy(h::sha256)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("changed since it was loaded");
    }

    @Test
    void refuses_when_the_file_was_deleted() throws Exception {
        Path f = file(new byte[] {1});
        FileHash h = FileHash.snapshot(f);
        Files.delete(f);

        assertThatThrownBy(h::sha256)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("deleted");
    }

    @Test
    void keeps_the_hash_computed_before_a_later_change() throws Exception {
        byte[] bytes = {4, 5, 6};
        Path f = file(bytes);
        FileHash h = FileHash.snapshot(f);
        String first = h.sha256();
        Files.write(f, new byte[] {7, 8, 9, 10});

        assertThat(h.sha256()).isEqualTo(first).isEqualTo(reference(bytes));
    }
}
