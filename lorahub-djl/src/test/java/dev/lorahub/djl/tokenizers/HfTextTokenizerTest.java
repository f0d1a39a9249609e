package dev.lorahub.djl.tokenizers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class HfTextTokenizerTest {
    /** A word-level tokenizer.json with BOS {@code <s>} (id 0) added by its post-processor. */
    public static final String WORD_LEVEL =
            """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false,
                               "rstrip": false, "normalized": false, "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                          {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                        {"Sequence": {"id": "B", "type_id": 1}}],
               "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}},
             "decoder": null,
             "model": {"type": "WordLevel",
                       "vocab": {"<s>": 0, "[UNK]": 1, "hello": 2, "world": 3, "</s>": 4},
                       "unk_token": "[UNK]"}}
            """;

    @TempDir Path tmp;

    @Test
    void encodes_with_and_without_special_tokens_and_decodes_skipping_them() throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, WORD_LEVEL);
        try (HfTextTokenizer tok = HfTextTokenizer.open(file)) {
            assertThat(tok.encode("hello world", true)).containsExactly(0, 2, 3);
            assertThat(tok.encode("hello world", false)).containsExactly(2, 3);
            assertThat(tok.encode("hello moon", false)).containsExactly(2, 1);
            assertThat(tok.decode(new int[] {0, 2, 3})).isEqualTo("hello world");
        }
    }
}
