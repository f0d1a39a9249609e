package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GgufWriter against files ggml's own writer produced: same content, same bytes. */
class GgufWriterTest {
    @TempDir Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "lora/tiny-llama-lora-F32.gguf",
                "models/tiny-llama-Q2_K.gguf",
                "models/tiny-llama-Q6_K.gguf"
            })
    void rewriting_a_ggml_written_file_reproduces_it_byte_for_byte(String path)
            throws IOException {
        Path original = GgufManifest.path(path);
        GgufFile g = GgufFile.open(original);
        GgufWriter w = new GgufWriter();
        for (String key : g.metadata().keySet()) {
            GgufFixturesTest.copyKv(g, key, w);
        }
        for (GgufTensor t : g.tensors().values()) {
            w.tensor(t.name(), t.type(), t.ne(), GgufManifest.bytes(g.rawBytes(t.name())));
        }
        Path copy = tmp.resolve("copy.gguf");
        w.write(copy);
        assertThat(Files.mismatch(original, copy)).isEqualTo(-1L);
    }

    @Test
    void writes_atomically_replacing_an_existing_file_and_leaving_no_temp_file()
            throws IOException {
        Path file = tmp.resolve("a.gguf");
        Files.writeString(file, "old");
        new GgufWriter()
                .put("general.type", GgufValueType.STRING, "adapter")
                .tensorF32("t", new long[] {2, 1}, new float[] {1, -0f})
                .write(file);
        GgufFile g = GgufFile.open(file);
        assertThat(g.metadata()).containsEntry("general.type", "adapter");
        // ggml_n_dims: a trailing dimension of 1 is not written
        assertThat(g.tensor("t").orElseThrow().ne()).containsExactly(2);
        assertThat(Float.floatToRawIntBits(g.readFloats("t")[1])).isEqualTo(0x8000_0000);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("a.gguf");
        }
    }

    @Test
    void refuses_values_that_do_not_fit_their_type_and_tensors_of_the_wrong_size() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.put("k", GgufValueType.UINT32, -1L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'k'");
        assertThatThrownBy(() -> w.put("general.alignment", GgufValueType.UINT32, 24L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("power of 2");
        assertThatThrownBy(() -> w.tensor("q", GgmlType.Q8_0, new long[] {32}, new byte[33]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("takes 34 bytes, got 33");
        assertThatThrownBy(() -> w.tensor("q", GgmlType.Q4_K, new long[] {32}, new byte[18]))
                .isInstanceOf(IllegalArgumentException.class);
        w.putArray("a", GgufValueType.INT32, List.of(1, 2));
        assertThatThrownBy(() -> w.putArray("a", GgufValueType.INT32, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
    }
}
