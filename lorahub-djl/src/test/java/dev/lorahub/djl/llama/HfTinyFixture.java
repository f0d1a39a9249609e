package dev.lorahub.djl.llama;

import dev.lorahub.djl.HfTinyReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Reads one LLaMA-family hf-tiny fixture: {@code llama} (GQA, untied), {@code qwen2} (q/k/v biases,
 * tied head, transformers 4.38.1) or {@code mistral} (sliding window 4, shorter than the inputs;
 * all-linear adapters): inputs, references, and PEFT adapters.
 */
final class HfTinyFixture extends HfTinyReference {
    /** The LLaMA-family fixtures under {@code hf-tiny/}. */
    static final List<String> CASES = List.of("llama", "qwen2", "mistral");

    /** The case name, e.g. {@code qwen2}. */
    final String name;

    /** The llama fixture. */
    HfTinyFixture() throws IOException {
        this("llama");
    }

    /**
     * @param name one of {@link #CASES}
     */
    HfTinyFixture(String name) throws IOException {
        super("hf-tiny/" + name);
        this.name = name;
    }

    /**
     * @return every (case, variant) pair, for {@code @MethodSource}
     */
    static List<Arguments> casesAndVariants() {
        List<Arguments> out = new ArrayList<>();
        for (String c : CASES) {
            for (String v : VARIANTS) {
                out.add(Arguments.of(c, v));
            }
        }
        return out;
    }
}
