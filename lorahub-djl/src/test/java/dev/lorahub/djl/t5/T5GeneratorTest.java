package dev.lorahub.djl.t5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.djl.HfTinyReference;
import dev.lorahub.model.GenerationConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** T5 sampling end to end against the softmax of Hugging Face's logits. */
class T5GeneratorTest {
    @ParameterizedTest(name = "T {0}")
    @ValueSource(doubles = {2.0, 6.0})
    void sampled_first_tokens_follow_the_tempered_softmax_of_hf_logits(double temperature)
            throws IOException {
        // GIVEN HF's decoder logits at position 0 (decoder start 0) for encoder row 0
        T5Fixture f = T5Fixture.require();
        float[] ref = f.logits("base");
        int[] prompt = f.encoderInputs().get(0);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            prompts.add(prompt);
        }
        // WHEN 3000 identical rows each draw one token
        List<int[]> out;
        try (T5Model model = T5Model.load(f.model())) {
            out =
                    model.generate(
                            f.adapter("base"), prompts, new GenerationConfig(1, temperature, 3));
        }
        assertThat(out).allSatisfy(r -> assertThat(r).hasSize(1));
        // THEN the frequencies are softmax(logits / T) (row 0, position 0 of [2, 4, 256])
        int[] draws = out.stream().mapToInt(r -> r[0]).toArray();
        HfTinyReference.assertSampledFromSoftmax(draws, ref, 0, 256, temperature);
    }
}
