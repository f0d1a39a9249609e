package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.ExampleTemplate;
import dev.lorahub.djl.tokenizers.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeclaredTemplateTest {
    @Test
    void lorahub_json_declares_both_sides_of_a_plain_text_layout(@TempDir Path dir)
            throws IOException {
        Files.writeString(
                dir.resolve("lorahub.json"),
                "{\"prompt_template\": \"Q: {input}\\nA:\", \"answer_template\": \" {output}\"}");

        ExampleTemplate t = DeclaredTemplate.read(dir);

        assertThat(t.prompt("2+2")).isEqualTo("Q: 2+2\nA:");
        assertThat(t.answer("4")).isEqualTo(" 4");
    }

    @Test
    void the_answer_side_defaults_to_the_output_as_given(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("lorahub.json"), "{\"prompt_template\": \"{input}>\"}");

        ExampleTemplate t = DeclaredTemplate.read(dir);

        assertThat(t.prompt("abc") + t.answer("cba")).isEqualTo("abc>cba");
    }

    @Test
    void a_folder_declaring_nothing_reads_text_as_given(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");

        assertThat(DeclaredTemplate.read(dir)).isSameAs(ExampleTemplate.PLAIN);
    }

    @Test
    void lorahub_json_wins_over_a_chat_template(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("lorahub.json"), "{\"prompt_template\": \"{input}>\"}");
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": \"[{{ messages[0]['content'] }}]\"}");

        assertThat(DeclaredTemplate.read(dir).prompt("x")).isEqualTo("x>");
    }

    @Test
    void a_chat_template_is_rendered_when_lorahub_json_is_absent(@TempDir Path dir)
            throws IOException {
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": \"[{{ messages[0]['content'] }}]{{ eos_token }}\","
                        + " \"eos_token\": {\"content\": \"</s>\", \"special\": true}}");

        ExampleTemplate t = DeclaredTemplate.read(dir);

        assertThat(t).isInstanceOf(ChatTemplate.class);
        assertThat(t.prompt("x")).isEqualTo("[x]</s>");
    }

    @Test
    void an_unknown_key_is_refused_naming_the_file_and_the_key(@TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("lorahub.json");
        Files.writeString(file, "{\"promt_template\": \"{input}>\"}");

        assertThatThrownBy(() -> DeclaredTemplate.read(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage(
                        file
                                + ": unknown key 'promt_template' (known: prompt_template,"
                                + " answer_template)");
    }

    @Test
    void a_non_string_value_is_refused_naming_the_key_and_value(@TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("lorahub.json");
        Files.writeString(file, "{\"prompt_template\": 3}");

        assertThatThrownBy(() -> DeclaredTemplate.read(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage(file + ": 'prompt_template' must be a string, got NUMBER 3");
    }

    @Test
    void a_layout_without_its_placeholder_is_refused_naming_the_key_and_text(@TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("lorahub.json");
        Files.writeString(file, "{\"prompt_template\": \"input>\"}");

        assertThatThrownBy(() -> DeclaredTemplate.read(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage(
                        file
                                + ": 'prompt_template' must contain {input} exactly once, got"
                                + " \"input>\"");
    }

    @Test
    void malformed_json_is_refused_naming_the_file(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("lorahub.json");
        Files.writeString(file, "{\"prompt_template\": ");

        assertThatThrownBy(() -> DeclaredTemplate.read(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(file + ": not valid JSON: ");
    }
}
