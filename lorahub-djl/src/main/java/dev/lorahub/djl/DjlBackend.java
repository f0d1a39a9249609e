package dev.lorahub.djl;

import ai.djl.ndarray.NDManager;
import dev.lorahub.djl.gguf.GgufLlama;
import dev.lorahub.djl.internal.ConfigJson;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.llama.LlamaFiles;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.djl.t5.T5Config;
import dev.lorahub.djl.t5.T5Model;
import dev.lorahub.djl.tokenizers.HfTextTokenizer;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.WeightDtype;
import dev.lorahub.spi.ModelBackend;
import dev.lorahub.spi.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The DJL backend (PyTorch engine, CPU, offline), registered in {@code
 * META-INF/services/dev.lorahub.spi.ModelBackend}. It dispatches on the input:
 *
 * <ul>
 *   <li>a {@code .gguf} file: a LLaMA-architecture model with its embedded tokenizer ({@link
 *       GgufLlama});
 *   <li>a Hugging Face folder whose {@code config.json} has {@code model_type} {@code llama},
 *       {@code mistral} or {@code qwen2}: {@link LlamaBaseModel}, with {@code tokenizer.json} when
 *       present;
 *   <li>a Hugging Face folder whose {@code model_type} is {@code t5} or {@code mt5}: {@link
 *       T5Model} (original T5, T5 v1.1, Flan-T5), with {@code tokenizer.json} when present.
 * </ul>
 *
 * A folder's example layout is what it declares ({@link DeclaredTemplate}: {@code lorahub.json},
 * else {@code tokenizer_config.json}'s {@code chat_template}); a GGUF file's is {@link
 * dev.lorahub.ExampleTemplate#PLAIN} (its embedded chat template is not read). Loading allocates
 * everything under one NDManager that is closed on failure.
 */
public final class DjlBackend implements ModelBackend {
    /** Creates the backend (used by {@link java.util.ServiceLoader}). */
    public DjlBackend() {}

    @Override
    public String name() {
        return "djl";
    }

    @Override
    public boolean supports(Path model) {
        try {
            if (Files.isRegularFile(model)) {
                return isGguf(model);
            }
            String type = modelType(model);
            return LlamaConfig.MODEL_TYPES.contains(type) || T5Config.MODEL_TYPES.contains(type);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public BaseModel load(Path model) throws IOException {
        return load(model, WeightDtype.F32);
    }

    /**
     * Loads a LLaMA-family or T5-family folder, or a GGUF file, keeping the weight matrices in
     * {@code dtype}: with {@link WeightDtype#F16} linear weights and embeddings take 2 bytes per
     * parameter, norms and biases stay float32, and every forward multiplies in float16 (see
     * docs/scale.md for the measured cost and the loss difference).
     */
    @Override
    public BaseModel load(Path model, WeightDtype dtype) throws IOException {
        if (Files.isRegularFile(model)) {
            if (!isGguf(model)) {
                throw new ModelFormatException(model, "not a GGUF file (no 'GGUF' magic)");
            }
            return GgufLlama.load(model, dtype);
        }
        Path config = model.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new ModelFormatException(model, "no config.json and not a GGUF file");
        }
        String type = modelType(model);
        if (LlamaConfig.MODEL_TYPES.contains(type)) {
            return loadLlama(model, dtype);
        }
        if (T5Config.MODEL_TYPES.contains(type)) {
            return T5Model.load(model, dtype);
        }
        throw new ModelFormatException(
                config,
                "unsupported model_type '"
                        + type
                        + "', this backend loads "
                        + LlamaConfig.MODEL_TYPES
                        + ", "
                        + T5Config.MODEL_TYPES
                        + " folders and .gguf files");
    }

    private static BaseModel loadLlama(Path dir, WeightDtype dtype) throws IOException {
        DjlRuntime.start();
        NDManager root = NDManager.newBaseManager();
        TextTokenizer tok = null;
        try {
            LlamaModel model = LlamaFiles.load(dir, root, dtype);
            Path tokFile = dir.resolve("tokenizer.json");
            if (Files.isRegularFile(tokFile)) {
                tok = HfTextTokenizer.open(tokFile);
            }
            return new LlamaBaseModel(model, tok, DeclaredTemplate.read(dir), root);
        } catch (IOException | RuntimeException e) {
            if (tok instanceof HfTextTokenizer h) {
                h.close();
            }
            root.close();
            throw e;
        }
    }

    private static String modelType(Path dir) throws IOException {
        Path config = dir.resolve("config.json");
        return ConfigJson.read(config).path("model_type").asText("");
    }

    private static boolean isGguf(Path file) throws IOException {
        if (!file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            return false;
        }
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4
                    && magic[0] == 'G'
                    && magic[1] == 'G'
                    && magic[2] == 'U'
                    && magic[3] == 'F';
        }
    }
}
