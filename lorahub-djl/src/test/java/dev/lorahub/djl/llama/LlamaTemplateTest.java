package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.DjlBackend;
import dev.lorahub.model.BaseModel;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hf-tiny LLaMA with a character tokenizer and a declared layout {@code {input}=}: a LoraHub
 * run scores text examples as the closed-form token sequence {@code <s> input = output </s>}.
 */
class LlamaTemplateTest {
    /** A WordLevel tokenizer: pad 0, BOS 1, EOS 2, 'a'..'z' = 3..28, '=' = 29; adds BOS. */
    private static final String TOKENIZER =
            "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                    + "{\"id\":0,\"content\":\"<pad>\",\"single_word\":false,\"lstrip\":false,"
                    + "\"rstrip\":false,\"normalized\":false,\"special\":true},"
                    + "{\"id\":1,\"content\":\"<s>\",\"single_word\":false,\"lstrip\":false,"
                    + "\"rstrip\":false,\"normalized\":false,\"special\":true},"
                    + "{\"id\":2,\"content\":\"</s>\",\"single_word\":false,\"lstrip\":false,"
                    + "\"rstrip\":false,\"normalized\":false,\"special\":true}],"
                    + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":"
                    + "{\"Regex\":\".\"},\"behavior\":\"Isolated\",\"invert\":false},"
                    + "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":["
                    + "{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
                    + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":["
                    + "{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
                    + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                    + "{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],\"special_tokens\":"
                    + "{\"<s>\":{\"id\":\"<s>\",\"ids\":[1],\"tokens\":[\"<s>\"]}}},"
                    + "\"decoder\":{\"type\":\"Fuse\"},\"model\":{\"type\":\"WordLevel\","
                    + "\"vocab\":{"
                    + vocab()
                    + "},\"unk_token\":\"<pad>\"}}";

    private static String vocab() {
        StringBuilder b = new StringBuilder("\"<pad>\":0,\"<s>\":1,\"</s>\":2");
        for (char c = 'a'; c <= 'z'; c++) {
            b.append(",\"").append(c).append("\":").append(3 + c - 'a');
        }
        return b.append(",\"=\":29").toString();
    }

    private static int id(char c) {
        return c == '=' ? 29 : 3 + c - 'a';
    }

    @Test
    void a_run_on_a_folder_declaring_a_layout_scores_the_closed_form_sequence(@TempDir Path tmp)
            throws IOException {
        Path src = TestData.require("hf-tiny/llama/model");
        Path dir = Files.createDirectory(tmp.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER);
        Files.writeString(dir.resolve("lorahub.json"), "{\"prompt_template\": \"{input}=\"}");
        List<LoraModule> modules = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            modules.add(LoraModule.load(TestData.require("hf-tiny/llama/adapters/adapter_" + i)));
        }

        try (BaseModel m = new DjlBackend().load(dir)) {
            assertThat(m.template().prompt("ab")).isEqualTo("ab=");
            LoraHubResult r =
                    LoraHub.compose(modules)
                            .fewShot(List.of(FewShotExample.of("ab", "ba")))
                            .on(m)
                            .budget(2)
                            .run();

            // <s> a b = | b a </s>, the loss on the answer and EOS
            int[] ids = {1, id('a'), id('b'), id('='), id('b'), id('a'), 2};
            int[] labels = {-100, -100, -100, -100, id('b'), id('a'), 2};
            int[] plainIds = {1, id('a'), id('b'), id('b'), id('a'), 2};
            int[] plainLabels = {-100, -100, -100, id('b'), id('a'), 2};
            LoraModule first =
                    Composer.of(MergeStrategy.LORAHUB)
                            .merge("first", modules, r.trace().get(0).weights());
            try (EncodedBatch laidOut = m.encode(List.of(FewShotExample.tokenized(ids, labels)));
                    EncodedBatch plain =
                            m.encode(List.of(FewShotExample.tokenized(plainIds, plainLabels)))) {
                assertThat(r.trace().get(0).loss())
                        .isCloseTo(m.loss(first, laidOut), within(1e-6))
                        .isNotCloseTo(m.loss(first, plain), within(1e-3));
            }
        }
    }
}
