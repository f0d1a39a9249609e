package dev.lorahub.djl.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The hyper-parameters of a LLaMA-family decoder, as in Hugging Face's {@code config.json}.
 *
 * @param modelType {@code llama}, {@code mistral} or {@code qwen2}
 * @param vocabSize V
 * @param hiddenSize model width d
 * @param intermediateSize MLP width
 * @param numLayers decoder layers
 * @param numHeads query heads H; head size {@code D = d / H}
 * @param numKvHeads key/value heads (GQA: query head h uses KV head {@code h / (H / numKvHeads)})
 * @param rmsNormEps RMSNorm epsilon: {@code x * rsqrt(mean(x^2) + eps) * weight}
 * @param ropeTheta RoPE base: {@code inv_freq_j = theta^(-2j/D)}
 * @param ropeStyle which dimensions RoPE pairs
 * @param tieWordEmbeddings whether the LM head reuses the token embedding
 * @param attentionBias whether attention projections have biases: q/k/v/o for llama's {@code
 *     attention_bias}, q/k/v only for qwen2 (always true there)
 * @param bosTokenId BOS id, -1 if none
 * @param eosTokenId EOS id, -1 if none
 * @param padTokenId pad id, -1 if none
 * @param initializerRange standard deviation of the random init
 * @param maxPositionEmbeddings the context the model was trained for
 * @param ropeScaling {@code rope_scaling} ({@link RopeScaling#NONE} when absent)
 */
public record LlamaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        double rmsNormEps,
        double ropeTheta,
        RopeStyle ropeStyle,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        int eosTokenId,
        int padTokenId,
        double initializerRange,
        int maxPositionEmbeddings,
        RopeScaling ropeScaling) {

    /** The {@code model_type} values this family loads. */
    public static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2");

    /**
     * A config without RoPE scaling (the other components as the canonical constructor).
     *
     * @param modelType {@code llama}, {@code mistral} or {@code qwen2}
     * @param vocabSize V
     * @param hiddenSize d
     * @param intermediateSize MLP width
     * @param numLayers decoder layers
     * @param numHeads query heads
     * @param numKvHeads key/value heads
     * @param rmsNormEps RMSNorm epsilon
     * @param ropeTheta RoPE base
     * @param ropeStyle which dimensions RoPE pairs
     * @param tieWordEmbeddings whether the LM head reuses the embedding
     * @param attentionBias whether attention projections have biases
     * @param bosTokenId BOS id, -1 if none
     * @param eosTokenId EOS id, -1 if none
     * @param padTokenId pad id, -1 if none
     * @param initializerRange standard deviation of the random init
     * @param maxPositionEmbeddings the trained context
     */
    public LlamaConfig(
            String modelType,
            int vocabSize,
            int hiddenSize,
            int intermediateSize,
            int numLayers,
            int numHeads,
            int numKvHeads,
            double rmsNormEps,
            double ropeTheta,
            RopeStyle ropeStyle,
            boolean tieWordEmbeddings,
            boolean attentionBias,
            int bosTokenId,
            int eosTokenId,
            int padTokenId,
            double initializerRange,
            int maxPositionEmbeddings) {
        this(
                modelType,
                vocabSize,
                hiddenSize,
                intermediateSize,
                numLayers,
                numHeads,
                numKvHeads,
                rmsNormEps,
                ropeTheta,
                ropeStyle,
                tieWordEmbeddings,
                attentionBias,
                bosTokenId,
                eosTokenId,
                padTokenId,
                initializerRange,
                maxPositionEmbeddings,
                RopeScaling.NONE);
    }

    /** Validates sizes and divisibility. */
    public LlamaConfig {
        java.util.Objects.requireNonNull(ropeScaling, "ropeScaling");
        if (!MODEL_TYPES.contains(modelType)) {
            throw new IllegalArgumentException(
                    "model_type '" + modelType + "' is not one of " + MODEL_TYPES);
        }
        if (vocabSize < 1
                || hiddenSize < 1
                || intermediateSize < 1
                || numLayers < 1
                || numHeads < 1
                || numKvHeads < 1) {
            throw new IllegalArgumentException(
                    "sizes must be positive: vocab="
                            + vocabSize
                            + " hidden="
                            + hiddenSize
                            + " intermediate="
                            + intermediateSize
                            + " layers="
                            + numLayers
                            + " heads="
                            + numHeads
                            + " kv_heads="
                            + numKvHeads);
        }
        if (hiddenSize % numHeads != 0 || (hiddenSize / numHeads) % 2 != 0) {
            throw new IllegalArgumentException(
                    "hidden_size "
                            + hiddenSize
                            + " must split into "
                            + numHeads
                            + " heads of even size");
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads "
                            + numHeads
                            + " is not a multiple of num_key_value_heads "
                            + numKvHeads);
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0)) {
            throw new IllegalArgumentException(
                    "rms_norm_eps "
                            + rmsNormEps
                            + " and rope_theta "
                            + ropeTheta
                            + " must be positive");
        }
    }

    /**
     * @return D, the size of one head
     */
    public int headDim() {
        return hiddenSize / numHeads;
    }

    /**
     * @return the GQA group size H / numKvHeads
     */
    public int kvGroups() {
        return numHeads / numKvHeads;
    }

    /**
     * A small llama config with HF defaults for everything else (untied, theta 10000, eps 1e-6, bos
     * 1, eos 2, no pad, rotate-half RoPE).
     *
     * @param vocab V
     * @param hidden d
     * @param intermediate MLP width
     * @param layers decoder layers
     * @param heads query heads
     * @param kvHeads key/value heads
     * @return the config
     */
    public static LlamaConfig of(
            int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads) {
        return new LlamaConfig(
                "llama",
                vocab,
                hidden,
                intermediate,
                layers,
                heads,
                kvHeads,
                1e-6,
                10000.0,
                RopeStyle.ROTATE_HALF,
                false,
                false,
                1,
                2,
                -1,
                0.02,
                2048);
    }

    /**
     * Reads a Hugging Face {@code config.json}.
     *
     * @param file the config file
     * @return the config (rotate-half RoPE)
     * @throws IOException if it cannot be read
     * @throws ModelFormatException if it is not JSON, its model_type is not supported, or a
     *     required key is missing or invalid
     */
    public static LlamaConfig read(Path file) throws IOException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        String type = n.path("model_type").asText("");
        if (!MODEL_TYPES.contains(type)) {
            throw new ModelFormatException(
                    file, "unsupported model_type '" + type + "', expected one of " + MODEL_TYPES);
        }
        try {
            int hidden = required(file, n, "hidden_size");
            int heads = required(file, n, "num_attention_heads");
            String act = n.path("hidden_act").asText("silu");
            if (!act.equals("silu")) {
                throw new ModelFormatException(
                        file, "hidden_act '" + act + "' is not supported (only silu)");
            }
            JsonNode headDim = n.get("head_dim");
            if (headDim != null && !headDim.isNull() && headDim.asInt() * heads != hidden) {
                throw new ModelFormatException(
                        file,
                        "head_dim "
                                + headDim.asInt()
                                + " is not hidden_size "
                                + hidden
                                + " / num_attention_heads "
                                + heads
                                + ": not supported");
            }
            return new LlamaConfig(
                    type,
                    required(file, n, "vocab_size"),
                    hidden,
                    required(file, n, "intermediate_size"),
                    required(file, n, "num_hidden_layers"),
                    heads,
                    n.path("num_key_value_heads").asInt(heads),
                    n.path("rms_norm_eps").asDouble(1e-6),
                    n.path("rope_theta").asDouble(10000.0),
                    RopeStyle.ROTATE_HALF,
                    n.path("tie_word_embeddings").asBoolean(false),
                    type.equals("qwen2") || n.path("attention_bias").asBoolean(false),
                    tokenId(n, "bos_token_id"),
                    tokenId(n, "eos_token_id"),
                    tokenId(n, "pad_token_id"),
                    n.path("initializer_range").asDouble(0.02),
                    n.path("max_position_embeddings").asInt(2048),
                    ropeScaling(file, n.get("rope_scaling")));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    private static RopeScaling ropeScaling(Path file, @Nullable JsonNode r) {
        if (r == null || r.isNull()) {
            return RopeScaling.NONE;
        }
        String type = r.path("rope_type").asText(r.path("type").asText(""));
        double factor = r.path("factor").asDouble(1.0);
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling(RopeScaling.Type.LINEAR, factor, 0, 0, 0);
            case "llama3" ->
                    new RopeScaling(
                            RopeScaling.Type.LLAMA3,
                            factor,
                            r.path("low_freq_factor").asDouble(),
                            r.path("high_freq_factor").asDouble(),
                            r.path("original_max_position_embeddings").asInt());
            default ->
                    throw new ModelFormatException(
                            file,
                            "rope_scaling type '"
                                    + type
                                    + "' is not supported (default, linear,"
                                    + " llama3); refusing rather than computing wrong positions");
        };
    }

    private static int required(Path file, JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.canConvertToInt()) {
            throw new ModelFormatException(file, "missing or invalid integer \"" + key + "\"");
        }
        return v.asInt();
    }

    private static int tokenId(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v != null && v.isArray() && !v.isEmpty()) {
            return v.get(0).asInt();
        }
        return v != null && v.canConvertToInt() ? v.asInt() : -1;
    }

    /**
     * @return this config as a Hugging Face {@code config.json} object
     */
    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        String arch =
                switch (modelType) {
                    case "mistral" -> "MistralForCausalLM";
                    case "qwen2" -> "Qwen2ForCausalLM";
                    default -> "LlamaForCausalLM";
                };
        n.putArray("architectures").add(arch);
        n.put("model_type", modelType);
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numLayers);
        n.put("num_attention_heads", numHeads);
        n.put("num_key_value_heads", numKvHeads);
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("attention_bias", attentionBias);
        putId(n, "bos_token_id", bosTokenId);
        putId(n, "eos_token_id", eosTokenId);
        putId(n, "pad_token_id", padTokenId);
        n.put("initializer_range", initializerRange);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("torch_dtype", "float32");
        if (ropeScaling.type() == RopeScaling.Type.NONE) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode r = n.putObject("rope_scaling");
            r.put("rope_type", ropeScaling.type().name().toLowerCase(java.util.Locale.ROOT));
            r.put("factor", ropeScaling.factor());
            if (ropeScaling.type() == RopeScaling.Type.LLAMA3) {
                r.put("low_freq_factor", ropeScaling.lowFreqFactor());
                r.put("high_freq_factor", ropeScaling.highFreqFactor());
                r.put("original_max_position_embeddings", ropeScaling.originalMaxPositions());
            }
        }
        return n;
    }

    private static void putId(ObjectNode n, String key, int id) {
        if (id >= 0) {
            n.put(key, id);
        } else {
            n.putNull(key);
        }
    }
}
