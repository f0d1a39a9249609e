package dev.lorahub.djl.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.djl.DjlBackend;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.io.gguf.GgmlType;
import dev.lorahub.io.gguf.GgufValueType;
import dev.lorahub.io.gguf.GgufWriter;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the DJL backend refuses in GGUF model files, and how it says so. */
class GgufLlamaTest {
    @TempDir Path tmp;

    @Test
    void refuses_other_architectures_non_gguf_and_truncated_files_naming_the_file_once()
            throws IOException {
        Path gpt = tmp.resolve("gpt.gguf");
        new GgufWriter().put("general.architecture", GgufValueType.STRING, "gpt2").write(gpt);
        assertThatThrownBy(() -> new DjlBackend().load(gpt))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("gpt2");
        Path notGguf = tmp.resolve("x.gguf");
        Files.writeString(notGguf, "hello world");
        assertThat(new DjlBackend().supports(notGguf)).isFalse();
        assertThatThrownBy(() -> new DjlBackend().load(notGguf))
                .isInstanceOf(ModelFormatException.class);

        Path stories = TestData.require("stories260K/stories260K.gguf");
        byte[] all = Files.readAllBytes(stories);
        for (int cut : List.of(all.length - 100, 20_000, 9_000, 100)) {
            Path truncated = tmp.resolve("cut" + cut + ".gguf");
            Files.write(truncated, Arrays.copyOf(all, cut));
            assertThatThrownBy(() -> new DjlBackend().load(truncated))
                    .as("cut at %d", cut)
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageStartingWith(truncated + ": ")
                    .hasMessageContaining("truncated")
                    .satisfies(
                            e ->
                                    assertThat(e.getMessage().indexOf(truncated.toString(), 1))
                                            .as("file named once")
                                            .isEqualTo(-1));
        }
    }

    @Test
    void a_tensor_type_lorahub_does_not_convert_is_refused_naming_the_tensor_and_type()
            throws IOException {
        Path stories = TestData.require("stories260K/stories260K.gguf");
        var g = dev.lorahub.io.gguf.GgufFile.open(stories);
        GgufWriter w = new GgufWriter();
        for (String key : g.metadata().keySet()) {
            var type = g.valueType(key).orElseThrow();
            if (type == GgufValueType.ARRAY) {
                w.putArray(key, g.arrayType(key).orElseThrow(), (List<?>) g.metadata().get(key));
            } else {
                w.put(key, type, g.metadata().get(key));
            }
        }
        for (var t : g.tensors().values()) {
            byte[] raw = new byte[(int) t.byteLength()];
            g.rawBytes(t.name()).get(raw);
            if (t.name().equals("blk.0.attn_q.weight")) {
                // the same size in I32 (4 bytes an element), a type ggml has but lorahub never
                // converts
                w.tensor(t.name(), GgmlType.I32, t.ne(), raw);
            } else {
                w.tensor(t.name(), t.type(), t.ne(), raw);
            }
        }
        Path file = tmp.resolve("i32.gguf");
        w.write(file);
        assertThatThrownBy(() -> GgufLlama.load(file))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'blk.0.attn_q.weight'")
                .hasMessageContaining("I32 (26)");
    }
}
