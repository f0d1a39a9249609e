package dev.lorahub.cli;

import dev.lorahub.LoraModule;
import dev.lorahub.io.gguf.LlamaCppAdapters;
import dev.lorahub.io.gguf.LlamaCppNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/** The {@code --format} of {@code merge} and {@code learn}: a PEFT folder, or also llama.cpp's. */
enum AdapterFormat {
    /** A PEFT folder (adapter_config.json + adapter_model.safetensors). */
    PEFT,
    /** A llama.cpp LoRA adapter ({@code .gguf}), for llama.cpp and tools built on it. */
    GGUF;

    /** The file {@code learn --format gguf} writes into its output folder. */
    static final String LEARN_FILE = dev.lorahub.io.PeftAdapters.GGUF_FILE;

    /**
     * The head size for writing a merge of {@code inputs} as GGUF, found before any work is done:
     * {@code --head-dim}, else the model's, else that of the inputs' base model when it is a local
     * folder or file; 0 when no input adapts q_proj or k_proj.
     *
     * @throws IllegalArgumentException if an input has a layer llama.cpp has no name for, or adapts
     *     q_proj/k_proj and no head size is known
     */
    static int headDim(@Nullable Integer option, @Nullable Path model, List<LoraModule> inputs)
            throws IOException {
        for (LoraModule m : inputs) {
            for (String path : m.layers().keySet()) {
                if (LlamaCppNames.toGguf(path).isEmpty() || path.equals("model.embed_tokens")) {
                    throw new IllegalArgumentException(
                            "--format gguf: adapter '"
                                    + m.name()
                                    + "' has layer '"
                                    + path
                                    + "', which a llama.cpp LoRA adapter cannot hold (LLaMA"
                                    + " modules only: q/k/v/o_proj, gate/up/down_proj, lm_head)");
                }
            }
        }
        if (option != null) {
            if (option < 2 || option % 2 != 0) {
                throw new IllegalArgumentException("--head-dim must be even and >= 2, got " + option);
            }
            return option;
        }
        boolean needed =
                inputs.stream()
                        .flatMap(m -> m.layers().keySet().stream())
                        .anyMatch(LlamaCppNames::isRopePermuted);
        if (!needed) {
            return 0;
        }
        List<Path> tried = new ArrayList<>();
        if (model != null) {
            tried.add(model);
        }
        for (LoraModule m : inputs) {
            String base = m.config().baseModelNameOrPath();
            if (base != null && !base.isEmpty()) {
                tried.add(Path.of(base));
            }
        }
        for (Path p : tried) {
            if (Files.exists(p)) {
                OptionalInt d = LlamaCppAdapters.headDimOf(p);
                if (d.isPresent()) {
                    return d.getAsInt();
                }
            }
        }
        throw new IllegalArgumentException(
                "--format gguf: the adapter has q_proj/k_proj layers, whose lora_B rows llama.cpp"
                        + " permutes within attention heads; give --head-dim D (hidden_size /"
                        + " num_attention_heads of the base model): no local base model gave it"
                        + " (tried "
                        + tried
                        + ")");
    }
}
