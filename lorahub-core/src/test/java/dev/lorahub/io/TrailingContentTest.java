package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.Provenance;
import dev.lorahub.io.gguf.LlamaCppAdapters;
import dev.lorahub.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each JSON file lorahub-core reads, valid (an upstream fixture) but for content after its root
 * value, is refused in one line naming the file and where the content starts; the same file with
 * whitespace instead is read. The offsets are where the test appended the content: the fixture's
 * length plus the whitespace before it.
 */
class TrailingContentTest {
    @TempDir Path tmp;

    private static String fixture(String relative) throws Exception {
        return Files.readString(TestData.require("hf-tiny/llama").resolve(relative));
    }

    /** The fixture's bytes, minus its final newline if any, plus {@code tail}. */
    private Path withTail(String name, String valid, String tail) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, valid.stripTrailing() + tail);
        return f;
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static int lines(String s) {
        return (int) s.chars().filter(c -> c == '\n').count() + 1;
    }

    @Test
    void adapter_config_json_with_a_second_object_is_refused_naming_its_offset() throws Exception {
        String valid = fixture("adapters/adapter_0/adapter_config.json").stripTrailing();
        Path ok = withTail("ok.json", valid, "\n \t\n");
        assertThat(AdapterConfig.read(ok).r()).isEqualTo(AdapterConfig.read(withTail("a.json", valid, "")).r());
        Path f = withTail("adapter_config.json", valid, "\n{\"r\": 64}");
        // the text is all ASCII: characters are bytes; "{" opens the line after the last
        int at = valid.length() + 1;
        assertThatThrownBy(() -> AdapterConfig.read(f))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessage(
                        f
                                + ": not valid JSON: content after the JSON value at character "
                                + at
                                + " (line "
                                + (lines(valid) + 1)
                                + ", column 1)");
    }

    @Test
    void a_model_config_json_with_a_stray_brace_is_refused_for_the_gguf_head_size()
            throws Exception {
        String valid = fixture("model/config.json").stripTrailing();
        Path model = tmp.resolve("model");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), valid + "\n");
        assertThat(LlamaCppAdapters.headDimOf(model)).isPresent();
        Files.writeString(model.resolve("config.json"), valid + "}");
        Path f = model.resolve("config.json");
        assertThatThrownBy(() -> LlamaCppAdapters.headDimOf(model))
                .isInstanceOf(FileFormatException.class)
                .hasMessageStartingWith(
                        f + ": not valid JSON: content after the JSON value at byte " + bytes(valid) + " (")
                .message()
                .doesNotContain("\n");
    }

    @Test
    void a_jsonl_line_with_garbage_after_its_object_is_refused_naming_line_and_column()
            throws Exception {
        Path f = tmp.resolve("train.jsonl");
        String line1 = "{\"input\": \"a\", \"output\": \"b\"}";
        String line2 = "{\"input\": \"c\", \"output\": \"d\"}";
        Files.writeString(f, line1 + "\n" + line2 + "  x\n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessage(
                        f
                                + ": line 2: content after the JSON value at column "
                                + (line2.length() + 3));
        Files.writeString(f, line1 + " \t\n" + line2 + "\r\n");
        assertThat(ExamplesFile.read(f)).hasSize(2);
    }

    @Test
    void a_json_array_of_examples_with_content_after_it_is_refused_naming_line_and_column()
            throws Exception {
        Path f = tmp.resolve("train.json");
        Files.writeString(f, "[\n{\"input\": \"a\", \"output\": \"b\"}\n]\n  ]\n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessage(f + ": line 4: text after the closing ']' at column 3");
    }

    @Test
    void provenance_json_with_content_after_it_is_refused_in_one_line() {
        assertThatThrownBy(() -> Provenance.fromJson("{\"seed\": 1} {}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "provenance is not JSON: content after the JSON value at character 12"
                                + " (line 1, column 13)");
    }
}
