package dev.lorahub.djl.t5;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.djl.internal.ConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The hyper-parameters of a T5 encoder-decoder, as in HF's {@code T5Config} (transformers 4.36),
 * read from {@code config.json}.
 *
 * <p>{@code feed_forward_proj} selects the feed-forward block: {@code "relu"} (original T5) is
 * {@code wo(relu(wi x))}; {@code "gated-gelu"} (v1.1, Flan-T5) is {@code wo(gelu_new(wi_0 x) * wi_1
 * x)}. With {@code tie_word_embeddings} (original T5) the lm_head is {@code shared.weight} and the
 * decoder output is multiplied by {@code d_model^-0.5} first; without it (v1.1) {@code
 * lm_head.weight} is its own tensor and there is no rescale.
 *
 * @param modelType {@code t5} or {@code mt5}
 * @param vocabSize rows of {@code shared.weight}
 * @param dModel the hidden size
 * @param dKv the size of one attention head
 * @param dFf the inner size of the feed-forward block
 * @param numLayers encoder blocks
 * @param numDecoderLayers decoder blocks
 * @param numHeads attention heads; projections are {@code [numHeads * dKv, dModel]}
 * @param relativeAttentionNumBuckets relative position buckets (32)
 * @param relativeAttentionMaxDistance the distance where the last bucket starts (128)
 * @param layerNormEpsilon the epsilon of the RMS norm
 * @param activation the feed-forward activation
 * @param gatedActivation whether the feed-forward block is gated ({@code wi_0}, {@code wi_1})
 * @param tieWordEmbeddings whether the lm_head is {@code shared.weight} (with the rescale)
 * @param decoderStartTokenId the first decoder input (T5: the pad id)
 * @param eosTokenId the end-of-sequence id
 * @param padTokenId the padding id
 */
public record T5Config(
        String modelType,
        int vocabSize,
        int dModel,
        int dKv,
        int dFf,
        int numLayers,
        int numDecoderLayers,
        int numHeads,
        int relativeAttentionNumBuckets,
        int relativeAttentionMaxDistance,
        double layerNormEpsilon,
        T5Activation activation,
        boolean gatedActivation,
        boolean tieWordEmbeddings,
        int decoderStartTokenId,
        int eosTokenId,
        int padTokenId) {

    /** The {@code model_type} values this package loads. */
    public static final Set<String> MODEL_TYPES = Set.of("t5", "mt5");

    /** Validates every size. */
    public T5Config {
        if (!MODEL_TYPES.contains(modelType)) {
            throw new IllegalArgumentException(
                    "model_type '"
                            + ConfigJson.shorten(modelType)
                            + "' is not a T5 model, expected one of "
                            + MODEL_TYPES);
        }
        positive("vocab_size", vocabSize);
        positive("d_model", dModel);
        positive("d_kv", dKv);
        positive("d_ff", dFf);
        positive("num_layers", numLayers);
        positive("num_decoder_layers", numDecoderLayers);
        positive("num_heads", numHeads);
        positive("relative_attention_num_buckets", relativeAttentionNumBuckets);
        positive("relative_attention_max_distance", relativeAttentionMaxDistance);
        if (relativeAttentionNumBuckets < 4) {
            throw new IllegalArgumentException(
                    "relative_attention_num_buckets must be >= 4, got "
                            + relativeAttentionNumBuckets);
        }
        if (!(layerNormEpsilon > 0) || Double.isInfinite(layerNormEpsilon)) {
            throw new IllegalArgumentException(
                    "layer_norm_epsilon must be > 0, got " + layerNormEpsilon);
        }
        java.util.Objects.requireNonNull(activation, "activation");
        for (int id : new int[] {decoderStartTokenId, eosTokenId, padTokenId}) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException(
                        "special token id " + id + " is outside the vocabulary of " + vocabSize);
            }
        }
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + value);
        }
    }

    /**
     * @return {@code numHeads * dKv}, the width of the attention projections
     */
    public int innerDim() {
        return numHeads * dKv;
    }

    /**
     * Reads {@code config.json} with HF's defaults for absent keys ({@code feed_forward_proj =
     * "relu"}, {@code tie_word_embeddings = true}, {@code num_decoder_layers = num_layers}, {@code
     * decoder_start_token_id = pad_token_id}).
     *
     * @param configJson the file
     * @return the config
     * @throws IOException if the file cannot be read
     * @throws ModelFormatException naming the file if it is not valid JSON or not a T5 config
     *     (unknown {@code model_type}, bad value)
     */
    public static T5Config read(Path configJson) throws IOException {
        JsonNode root = ConfigJson.read(configJson);
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson, e.getMessage(), e);
        }
    }

    /**
     * @param root the parsed {@code config.json}
     * @return the config
     * @throws IllegalArgumentException if a value is missing, of the wrong type or out of range
     */
    public static T5Config fromJson(JsonNode root) {
        if (!root.isObject()) {
            throw new IllegalArgumentException(
                    "expected a JSON object, got " + ConfigJson.show(root));
        }
        String modelType = ConfigJson.textOr(root, "model_type", "");
        String ffProj = ConfigJson.textOr(root, "feed_forward_proj", "relu");
        String[] parts = ffProj.split("-");
        boolean gated = parts[0].equals("gated");
        if ((parts.length > 1 && !gated) || parts.length > 2) {
            throw new IllegalArgumentException(
                    "feed_forward_proj '"
                            + ConfigJson.shorten(ffProj)
                            + "' is not of the form {ACT} or gated-{ACT}");
        }
        String actName = parts[parts.length - 1];
        if (ffProj.equals("gated-gelu")) {
            actName = "gelu_new"; // HF maps gated-gelu to the tanh approximation
        }
        int numLayers = ConfigJson.intOr(root, "num_layers", 6);
        int pad = ConfigJson.intOr(root, "pad_token_id", 0);
        return new T5Config(
                modelType.toLowerCase(Locale.ROOT),
                ConfigJson.intOr(root, "vocab_size", 32128),
                ConfigJson.intOr(root, "d_model", 512),
                ConfigJson.intOr(root, "d_kv", 64),
                ConfigJson.intOr(root, "d_ff", 2048),
                numLayers,
                ConfigJson.intOr(root, "num_decoder_layers", numLayers),
                ConfigJson.intOr(root, "num_heads", 8),
                ConfigJson.intOr(root, "relative_attention_num_buckets", 32),
                ConfigJson.intOr(root, "relative_attention_max_distance", 128),
                ConfigJson.doubleOr(root, "layer_norm_epsilon", 1e-6),
                T5Activation.fromHfName(actName),
                gated,
                ConfigJson.booleanOr(root, "tie_word_embeddings", true),
                ConfigJson.intOr(root, "decoder_start_token_id", pad),
                ConfigJson.tokenId(root, "eos_token_id", 1),
                pad);
    }
}
