package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.lorahub.FewShotExample;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {
    private final CharTokenizer tok = new CharTokenizer();

    @Test
    void round_trips_text_with_instruction_tokens() {
        int[] ids = tok.encode("<rev><sh1>abz>9|", true);
        assertThat(ids).hasSize(9);
        assertThat(ids[0]).isEqualTo(CharTokenizer.BOS);
        assertThat(ids[1]).isEqualTo(tok.instructionId(Op.REVERSE));
        assertThat(tok.decode(ids)).isEqualTo("<rev><sh1>abz>9|");
        assertThat(tok.tokens()).hasSize(CharTokenizer.VOCAB_SIZE).doesNotHaveDuplicates();
    }

    @Test
    void rejects_characters_outside_the_vocabulary() {
        assertThatThrownBy(() -> tok.encode("aB", false)).hasMessageContaining("'B'");
    }

    @Test
    void labels_mask_the_prompt_and_keep_output_and_eos() {
        FewShotExample e = new Prompts(tok).plain(new TaskExample("abc", "cba"));
        int[] ids = e.inputIds().orElseThrow();
        int[] labels = e.labels().orElseThrow();
        assertThat(tok.decode(ids)).isEqualTo("abc>cba");
        assertThat(ids).hasSize(9).endsWith(CharTokenizer.EOS);
        assertThat(labels)
                .startsWith(-100, -100, -100, -100, -100)
                .endsWith(ids[5], ids[6], ids[7], CharTokenizer.EOS);
    }

    @Test
    void saved_tokenizer_json_loads_in_hugging_face_tokenizers_with_the_same_ids(@TempDir Path dir)
            throws Exception {
        tok.save(dir);
        try (HuggingFaceTokenizer hf =
                HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of())) {
            for (String text : List.of("abc>cba", "<rev><sh2>hello>jgnnq", "a1|b2>")) {
                long[] hfIds = hf.encode(text).getIds();
                int[] ours = tok.encode(text, true);
                assertThat(hfIds).as(text).hasSize(ours.length);
                for (int i = 0; i < ours.length; i++) {
                    assertThat(hfIds[i]).as("%s token %d", text, i).isEqualTo(ours[i]);
                }
            }
        }
    }
}
