package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.ExampleTemplate;
import dev.lorahub.djl.internal.Checkpoint;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.t5.T5Config;
import dev.lorahub.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each JSON file of a model folder that lorahub-djl reads ({@code config.json} of LLaMA and T5,
 * {@code tokenizer_config.json}, {@code lorahub.json}, the safetensors and pickle index files),
 * valid but for content after its root value, is refused with a one-line {@link
 * ModelFormatException} naming the file and the byte where the content starts: where the test
 * appended it. ({@code tokenizer.json}: {@code TokenizerJsonTest}.)
 */
class TrailingContentTest {
    @TempDir Path tmp;

    private static String prefix(Path f, String valid) {
        return f
                + ": not valid JSON: content after the JSON value at byte "
                + valid.getBytes(StandardCharsets.UTF_8).length
                + " (line ";
    }

    private static String config(String family) throws Exception {
        return Files.readString(TestData.require("hf-tiny/" + family).resolve("model/config.json"))
                .stripTrailing();
    }

    @Test
    void llama_and_t5_config_json_with_a_second_object_are_refused() throws Exception {
        String llama = config("llama");
        Path f = tmp.resolve("config.json");
        Files.writeString(f, llama + "\n\n");
        assertThat(LlamaConfig.read(f).hiddenSize()).isPositive();
        Files.writeString(f, llama + "{}");
        assertThatThrownBy(() -> LlamaConfig.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(prefix(f, llama))
                .message()
                .doesNotContain("\n");
        String t5 = config("t5");
        Files.writeString(f, t5 + "\n}");
        assertThatThrownBy(() -> T5Config.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(
                        f
                                + ": not valid JSON: content after the JSON value at byte "
                                + (t5.getBytes(StandardCharsets.UTF_8).length + 1)
                                + " (line ");
    }

    @Test
    void lorahub_json_and_tokenizer_config_json_with_garbage_after_them_are_refused()
            throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        String declared = "{\"prompt_template\": \"{input}>\"}";
        Path lorahub = dir.resolve("lorahub.json");
        Files.writeString(lorahub, declared + " \n");
        assertThat(DeclaredTemplate.read(dir)).isNotEqualTo(ExampleTemplate.PLAIN);
        Files.writeString(lorahub, declared + " x");
        assertThatThrownBy(() -> DeclaredTemplate.read(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage(
                        lorahub
                                + ": not valid JSON: content after the JSON value at byte "
                                + (declared.length() + 1)
                                + " (line 1, column "
                                + (declared.length() + 2)
                                + ")");
        Files.delete(lorahub);
        String tokenizerConfig = "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}";
        Path tc = dir.resolve("tokenizer_config.json");
        Files.writeString(tc, tokenizerConfig + "\n");
        assertThat(DeclaredTemplate.read(dir)).isEqualTo(ExampleTemplate.PLAIN);
        Files.writeString(tc, tokenizerConfig + "]");
        assertThatThrownBy(() -> DeclaredTemplate.read(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage(prefix(tc, tokenizerConfig) + "1, column " + (tokenizerConfig.length() + 1) + ")");
    }

    @Test
    void safetensors_and_pickle_index_files_with_content_after_them_are_refused()
            throws Exception {
        for (String name : new String[] {Checkpoint.INDEX, Checkpoint.PICKLE_INDEX}) {
            Path dir = Files.createDirectories(tmp.resolve(name + "-model"));
            String index =
                    "{\"metadata\": {\"total_size\": 16},"
                            + " \"weight_map\": {\"w\": \"model-00001-of-00001.bin\"}}";
            Path f = dir.resolve(name);
            Files.writeString(f, index + "\n{\"weight_map\": {}}\n");
            assertThatThrownBy(() -> Checkpoint.open(dir))
                    .as(name)
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessage(prefix(f, index + "\n") + "2, column 1)");
        }
    }
}
