package dev.lorahub.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Stream<String> names() throws IOException {
        return Files.list(dir).map(p -> p.getFileName().toString()).sorted();
    }

    @Test
    void writes_the_content_and_replaces_an_existing_file() throws IOException {
        Path f = dir.resolve("config.json");
        AtomicFiles.writeString(f, "{\"a\": 1}");
        assertThat(f).hasContent("{\"a\": 1}");
        AtomicFiles.write(f, utf8("é"));
        assertThat(Files.readAllBytes(f)).isEqualTo(utf8("é"));
        try (Stream<String> s = names()) {
            assertThat(s).containsExactly("config.json");
        }
    }

    @Test
    void the_target_keeps_its_old_content_while_the_new_one_is_written() throws IOException {
        Path f = dir.resolve("w.safetensors");
        Files.write(f, utf8("old"));
        String[] seen = new String[1];
        AtomicFiles.write(
                f,
                ch -> {
                    AtomicFiles.writeFully(ch, ByteBuffer.wrap(utf8("new, ")));
                    seen[0] = Files.readString(f);
                    AtomicFiles.writeFully(ch, ByteBuffer.wrap(utf8("complete")));
                });
        assertThat(seen[0]).as("target during the write").isEqualTo("old");
        assertThat(f).hasContent("new, complete");
    }

    /** createTempFile's owner-only 0600 made merge --format gguf output unreadable to others. */
    @Test
    void a_written_file_gets_the_permissions_of_any_new_file_in_its_folder() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        Path f = dir.resolve("adapter_model.gguf");
        AtomicFiles.writeString(f, "x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                .isEqualTo(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)));
        AtomicFiles.writeString(f, "replaced");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                .isEqualTo(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)));
    }

    @Test
    void a_failed_write_leaves_the_old_file_and_no_temp_file() throws IOException {
        Path f = dir.resolve("adapter_config.json");
        Files.write(f, utf8("old"));
        assertThatThrownBy(
                        () ->
                                AtomicFiles.write(
                                        f,
                                        ch -> {
                                            AtomicFiles.writeFully(
                                                    ch, ByteBuffer.wrap(utf8("half")));
                                            throw new IOException("disk full");
                                        }))
                .isInstanceOf(IOException.class)
                .hasMessage("disk full");
        assertThat(f).hasContent("old");
        try (Stream<String> s = names()) {
            assertThat(s).containsExactly("adapter_config.json");
        }
    }
}
