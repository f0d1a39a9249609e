package dev.lorahub.djl.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.djl.internal.ConfigJson;
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
 * @param slidingWindow Mistral's {@code sliding_window} W: query slot {@code p} attends key slots
 *     {@code j} with {@code p - W < j <= p} only (W keys, itself included, counted in cache slots
 *     as HF's eager attention does); -1 for none
 * @param mlpBias whether gate/up/down projections have biases (llama's {@code mlp_bias})
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
        RopeScaling ropeScaling,
        int slidingWindow,
        boolean mlpBias) {

    /** The {@code model_type} values this family loads. */
    public static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2");

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
        if (slidingWindow == 0 || slidingWindow < -1) {
            throw new IllegalArgumentException(
                    "sliding_window must be >= 1 (or absent), got " + slidingWindow);
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
        return builder("llama")
                .sizes(vocab, hidden, intermediate, layers, heads, kvHeads)
                .build();
    }

    /**
     * A builder with Hugging Face's defaults for everything but the sizes (which must be set):
     * eps 1e-6, theta 10000, rotate-half RoPE, untied, no biases, bos 1, eos 2, no pad, init 0.02,
     * 2048 positions, no RoPE scaling, no sliding window.
     *
     * @param modelType {@code llama}, {@code mistral} or {@code qwen2}
     * @return the builder
     */
    public static Builder builder(String modelType) {
        return new Builder(modelType);
    }

    /**
     * @return a builder holding this config's values, to derive a variant
     */
    public Builder toBuilder() {
        return new Builder(this);
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
        JsonNode n = ConfigJson.read(file);
        try {
            String type = ConfigJson.textOr(n, "model_type", "");
            if (!MODEL_TYPES.contains(type)) {
                throw new ModelFormatException(
                        file,
                        "unsupported model_type '"
                                + ConfigJson.shorten(type)
                                + "', expected one of "
                                + MODEL_TYPES);
            }
            int hidden = ConfigJson.requiredInt(n, "hidden_size");
            int heads = ConfigJson.requiredInt(n, "num_attention_heads");
            String act = ConfigJson.textOr(n, "hidden_act", "silu");
            if (!act.equals("silu")) {
                throw new ModelFormatException(
                        file,
                        "hidden_act '" + ConfigJson.shorten(act) + "' is not supported (only silu)");
            }
            int headDim = ConfigJson.intOr(n, "head_dim", hidden / Math.max(1, heads));
            if ((long) headDim * heads != hidden) {
                throw new ModelFormatException(
                        file,
                        "head_dim "
                                + headDim
                                + " is not hidden_size "
                                + hidden
                                + " / num_attention_heads "
                                + heads
                                + ": not supported");
            }
            return builder(type)
                    .sizes(
                            ConfigJson.requiredInt(n, "vocab_size"),
                            hidden,
                            ConfigJson.requiredInt(n, "intermediate_size"),
                            ConfigJson.requiredInt(n, "num_hidden_layers"),
                            heads,
                            ConfigJson.intOr(n, "num_key_value_heads", heads))
                    .rmsNormEps(ConfigJson.doubleOr(n, "rms_norm_eps", 1e-6))
                    .ropeTheta(ConfigJson.doubleOr(n, "rope_theta", 10000.0))
                    .tieWordEmbeddings(ConfigJson.booleanOr(n, "tie_word_embeddings", false))
                    .attentionBias(
                            type.equals("qwen2")
                                    || ConfigJson.booleanOr(n, "attention_bias", false))
                    .mlpBias(ConfigJson.booleanOr(n, "mlp_bias", false))
                    .tokenIds(
                            ConfigJson.tokenId(n, "bos_token_id", -1),
                            ConfigJson.tokenId(n, "eos_token_id", -1),
                            ConfigJson.tokenId(n, "pad_token_id", -1))
                    .initializerRange(ConfigJson.doubleOr(n, "initializer_range", 0.02))
                    .maxPositionEmbeddings(ConfigJson.intOr(n, "max_position_embeddings", 2048))
                    .ropeScaling(ropeScaling(file, n.get("rope_scaling")))
                    .slidingWindow(slidingWindow(file, type, n))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    private static RopeScaling ropeScaling(Path file, @Nullable JsonNode r) {
        if (r == null || r.isNull()) {
            return RopeScaling.NONE;
        }
        if (!r.isObject()) {
            throw new IllegalArgumentException(
                    "\"rope_scaling\" must be an object or null, got " + ConfigJson.show(r));
        }
        String type = ConfigJson.textOr(r, "rope_type", ConfigJson.textOr(r, "type", ""));
        double factor = ConfigJson.doubleOr(r, "factor", 1.0);
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling(RopeScaling.Type.LINEAR, factor, 0, 0, 0);
            case "llama3" ->
                    new RopeScaling(
                            RopeScaling.Type.LLAMA3,
                            factor,
                            ConfigJson.doubleOr(r, "low_freq_factor", 0.0),
                            ConfigJson.doubleOr(r, "high_freq_factor", 0.0),
                            ConfigJson.intOr(r, "original_max_position_embeddings", 0));
            default ->
                    throw new ModelFormatException(
                            file,
                            "rope_scaling type '"
                                    + ConfigJson.shorten(type)
                                    + "' is not supported (default, linear,"
                                    + " llama3); refusing rather than computing wrong positions");
        };
    }

    /**
     * Mistral's {@code sliding_window} (null = none). Qwen2 reads it only with {@code
     * use_sliding_window}, which HF applies to some layers only depending on the version: refused.
     * LLaMA has none.
     */
    private static int slidingWindow(Path file, String type, JsonNode n) {
        JsonNode w = n.get("sliding_window");
        if (type.equals("qwen2") && ConfigJson.booleanOr(n, "use_sliding_window", false)) {
            throw new ModelFormatException(
                    file,
                    "use_sliding_window true (sliding_window "
                            + w
                            + ", max_window_layers "
                            + n.get("max_window_layers")
                            + ") is not supported for qwen2; refusing rather than attending wrong"
                            + " keys");
        }
        if (!type.equals("mistral") || w == null || w.isNull()) {
            return -1;
        }
        if (!w.isIntegralNumber() || !w.canConvertToInt() || w.asInt() < 1) {
            throw new ModelFormatException(
                    file, "sliding_window " + ConfigJson.show(w) + " is not an integer >= 1");
        }
        return w.asInt();
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
        n.put("mlp_bias", mlpBias);
        if (modelType.equals("mistral")) {
            if (slidingWindow > 0) {
                n.put("sliding_window", slidingWindow);
            } else {
                n.putNull("sliding_window");
            }
        }
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

    /**
     * Builds a {@link LlamaConfig} one named value at a time (the record has too many components
     * for a readable positional call). Validation happens in {@link #build()}.
     */
    public static final class Builder {
        private String modelType;
        private int vocabSize;
        private int hiddenSize;
        private int intermediateSize;
        private int numLayers;
        private int numHeads;
        private int numKvHeads;
        private double rmsNormEps = 1e-6;
        private double ropeTheta = 10000.0;
        private RopeStyle ropeStyle = RopeStyle.ROTATE_HALF;
        private boolean tieWordEmbeddings;
        private boolean attentionBias;
        private int bosTokenId = 1;
        private int eosTokenId = 2;
        private int padTokenId = -1;
        private double initializerRange = 0.02;
        private int maxPositionEmbeddings = 2048;
        private RopeScaling ropeScaling = RopeScaling.NONE;
        private int slidingWindow = -1;
        private boolean mlpBias;

        private Builder(String modelType) {
            this.modelType = java.util.Objects.requireNonNull(modelType, "modelType");
        }

        private Builder(LlamaConfig c) {
            this(c.modelType);
            sizes(c.vocabSize, c.hiddenSize, c.intermediateSize, c.numLayers, c.numHeads,
                    c.numKvHeads);
            rmsNormEps = c.rmsNormEps;
            ropeTheta = c.ropeTheta;
            ropeStyle = c.ropeStyle;
            tieWordEmbeddings = c.tieWordEmbeddings;
            attentionBias = c.attentionBias;
            tokenIds(c.bosTokenId, c.eosTokenId, c.padTokenId);
            initializerRange = c.initializerRange;
            maxPositionEmbeddings = c.maxPositionEmbeddings;
            ropeScaling = c.ropeScaling;
            slidingWindow = c.slidingWindow;
            mlpBias = c.mlpBias;
        }

        /**
         * @param vocab V
         * @param hidden d
         * @param intermediate MLP width
         * @param layers decoder layers
         * @param heads query heads
         * @param kvHeads key/value heads
         * @return this builder
         */
        public Builder sizes(
                int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads) {
            vocabSize = vocab;
            hiddenSize = hidden;
            intermediateSize = intermediate;
            numLayers = layers;
            numHeads = heads;
            numKvHeads = kvHeads;
            return this;
        }

        /**
         * @param value RMSNorm epsilon
         * @return this builder
         */
        public Builder rmsNormEps(double value) {
            rmsNormEps = value;
            return this;
        }

        /**
         * @param value RoPE base
         * @return this builder
         */
        public Builder ropeTheta(double value) {
            ropeTheta = value;
            return this;
        }

        /**
         * @param value which dimensions RoPE pairs
         * @return this builder
         */
        public Builder ropeStyle(RopeStyle value) {
            ropeStyle = java.util.Objects.requireNonNull(value, "ropeStyle");
            return this;
        }

        /**
         * @param value whether the LM head reuses the embedding
         * @return this builder
         */
        public Builder tieWordEmbeddings(boolean value) {
            tieWordEmbeddings = value;
            return this;
        }

        /**
         * @param value whether attention projections have biases
         * @return this builder
         */
        public Builder attentionBias(boolean value) {
            attentionBias = value;
            return this;
        }

        /**
         * @param value whether MLP projections have biases
         * @return this builder
         */
        public Builder mlpBias(boolean value) {
            mlpBias = value;
            return this;
        }

        /**
         * @param bos BOS id, -1 if none
         * @param eos EOS id, -1 if none
         * @param pad pad id, -1 if none
         * @return this builder
         */
        public Builder tokenIds(int bos, int eos, int pad) {
            bosTokenId = bos;
            eosTokenId = eos;
            padTokenId = pad;
            return this;
        }

        /**
         * @param value standard deviation of the random init
         * @return this builder
         */
        public Builder initializerRange(double value) {
            initializerRange = value;
            return this;
        }

        /**
         * @param value the trained context
         * @return this builder
         */
        public Builder maxPositionEmbeddings(int value) {
            maxPositionEmbeddings = value;
            return this;
        }

        /**
         * @param value RoPE scaling
         * @return this builder
         */
        public Builder ropeScaling(RopeScaling value) {
            ropeScaling = java.util.Objects.requireNonNull(value, "ropeScaling");
            return this;
        }

        /**
         * @param value the sliding window W (keys per query, itself included), -1 for none
         * @return this builder
         */
        public Builder slidingWindow(int value) {
            slidingWindow = value;
            return this;
        }

        /**
         * @return the validated config
         * @throws IllegalArgumentException naming the values that do not fit
         */
        public LlamaConfig build() {
            return new LlamaConfig(
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
                    ropeScaling,
                    slidingWindow,
                    mlpBias);
        }
    }
}
