package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.internal.LayerScope;
import dev.lorahub.djl.internal.RmsNorm;
import dev.lorahub.djl.internal.Scalars;
import dev.lorahub.djl.internal.WeightOps;
import dev.lorahub.djl.train.LoraPair;
import dev.lorahub.djl.train.SideBranch;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The T5 encoder-decoder forward pass on NDArrays, as HF's {@code T5ForConditionalGeneration}
 * computes it in {@code eval()} (dropout off).
 *
 * <p>Every block is pre-norm: {@code x = x + Attn(RMS(x))}, {@code x = x + FF(RMS(x))}, with {@code
 * RMS(x) = x / sqrt(mean(x^2) + eps) * weight}. Attention scores are {@code Q K^T + bias} with no
 * {@code 1/sqrt(d_kv)}; {@code bias} is the relative position bias of block 0 of the stack (reused
 * by all blocks) plus the additive mask ({@code min_float} where masked). Cross-attention has no
 * position bias. The decoder output is rescaled by {@code d_model^-0.5} only when the lm_head is
 * tied.
 *
 * <p>Memory: every result is attached to the NDManager of the per-call inputs (ids, masks), never
 * to the weights' manager, because each op here has a per-call array as its receiver and weights
 * only as arguments (see djl-notes: results attach to the receiver's manager). Close that manager
 * after the call. The optional {@link LoraPair} make the pass differentiable in the adapter;
 * without them it only reads the weights, which may have been patched in place.
 */
public final class T5Forward {
    /** {@code torch.finfo(torch.float32).min}, HF's additive mask value. */
    static final float MASK_VALUE = -Float.MAX_VALUE;

    private final T5Config config;
    private final T5Weights weights;
    private final Map<String, SideBranch> lora;

    /**
     * @param weights the model's weights; the pass reads them at call time
     */
    public T5Forward(T5Weights weights) {
        this(weights, Map.of());
    }

    /**
     * @param weights the model's weights
     * @param lora side branches by module path (e.g. {@code
     *     encoder.block.0.layer.0.SelfAttention.q}): {@link LoraPair} factors, or candidate
     *     branches ({@link dev.lorahub.djl.CandidateBranches})
     * @throws IllegalArgumentException if a path is not a linear of this model or shapes differ
     */
    public T5Forward(T5Weights weights, Map<String, ? extends SideBranch> lora) {
        this.weights = Objects.requireNonNull(weights, "weights");
        this.config = weights.config();
        var linears = T5Weights.linearModules(config);
        for (Map.Entry<String, ? extends SideBranch> e : lora.entrySet()) {
            var shape = linears.get(e.getKey());
            if (shape == null) {
                throw new IllegalArgumentException(
                        "LoRA targets '" + e.getKey() + "', which is not a linear of this T5");
            }
            long in = e.getValue().inFeatures();
            long out = e.getValue().outFeatures();
            if (in != shape.inFeatures() || out != shape.outFeatures()) {
                throw new IllegalArgumentException(
                        "LoRA for '"
                                + e.getKey()
                                + "' is "
                                + out
                                + "x"
                                + in
                                + ", the layer is "
                                + shape);
            }
        }
        this.lora = Map.copyOf(lora);
    }

    /**
     * @return the config
     */
    public T5Config config() {
        return config;
    }

    /**
     * HF's extended attention mask: 0 where {@code mask} is 1, {@code min_float} where it is 0.
     *
     * @param manager the per-call manager
     * @param mask row-major {@code [batch, length]} of 0 and 1
     * @param batch rows
     * @param length columns
     * @return {@code [batch, 1, 1, length]} float32
     */
    public static NDArray maskBias(NDManager manager, int[] mask, int batch, int length) {
        if (mask.length != batch * length) {
            throw new IllegalArgumentException(
                    "mask has " + mask.length + " values, expected " + batch + "x" + length);
        }
        float[] bias = new float[mask.length];
        for (int i = 0; i < mask.length; i++) {
            bias[i] = mask[i] != 0 ? 0f : MASK_VALUE;
        }
        return manager.create(bias, new Shape(batch, 1, 1, length));
    }

    /**
     * Teacher-forced logits.
     *
     * @param inputIds encoder ids {@code [batch, source]} int64
     * @param maskBias {@link #maskBias} of the encoder attention mask
     * @param decoderInputIds {@code [batch, target]} int64 (labels shifted right)
     * @return logits {@code [batch, target, vocab]}
     */
    public NDArray logits(NDArray inputIds, NDArray maskBias, NDArray decoderInputIds) {
        NDArray encoded = encode(inputIds, maskBias);
        return decode(decoderInputIds, encoded, maskBias, null);
    }

    /**
     * The encoder stack.
     *
     * @param inputIds {@code [batch, source]} int64
     * @param maskBias {@code [batch, 1, 1, source]} from {@link #maskBias}
     * @return the final-normed hidden states {@code [batch, source, d_model]}
     */
    public NDArray encode(NDArray inputIds, NDArray maskBias) {
        int len = (int) inputIds.getShape().get(1);
        NDArray x = embed(inputIds);
        NDArray bias =
                positionBias(inputIds.getManager(), "encoder", 0, len, len, true).add(maskBias);
        for (int i = 0; i < config.numLayers(); i++) {
            int layer = i;
            x = LayerScope.run(x, in -> encoderBlock(in, layer, bias));
        }
        return rmsNorm(x, "encoder.final_layer_norm.weight");
    }

    private NDArray encoderBlock(NDArray x, int i, NDArray bias) {
        String block = "encoder.block." + i + ".layer.";
        String attn = block + "0.SelfAttention";
        NDArray n = rmsNorm(x, block + "0.layer_norm.weight");
        NDArray a =
                attend(
                        project(n, attn + ".q"),
                        project(n, attn + ".k"),
                        project(n, attn + ".v"),
                        bias);
        x = x.add(linear(a, attn + ".o"));
        return x.add(feedForward(rmsNorm(x, block + "1.layer_norm.weight"), block + "1"));
    }

    /**
     * The decoder stack and lm_head for {@code target} new positions after {@code cache.length()}
     * cached ones (0 without a cache). Queries see earlier and equal positions only.
     *
     * @param decoderIds {@code [batch, target]} int64
     * @param encoded the encoder output {@code [batch, source, d_model]}
     * @param maskBias the encoder's {@link #maskBias}
     * @param cache the state of incremental decoding, extended in place; null for one full pass
     * @return logits {@code [batch, target, vocab]}
     */
    public NDArray decode(
            NDArray decoderIds, NDArray encoded, NDArray maskBias, @Nullable T5DecoderCache cache) {
        NDManager m = decoderIds.getManager();
        int offset = cache == null ? 0 : cache.length;
        int len = (int) decoderIds.getShape().get(1);
        NDArray x = embed(decoderIds);
        NDArray selfBias = positionBias(m, "decoder", offset, len, offset + len, false);
        if (len > 1) {
            selfBias = selfBias.add(causalMask(m, offset, len));
        }
        NDArray bias = selfBias;
        for (int i = 0; i < config.numDecoderLayers(); i++) {
            int layer = i;
            x = LayerScope.run(x, in -> decoderBlock(in, layer, encoded, maskBias, bias, cache));
        }
        if (cache != null) {
            cache.length = offset + len;
        }
        x = rmsNorm(x, "decoder.final_layer_norm.weight");
        if (config.tieWordEmbeddings()) {
            x = x.mul(Scalars.of(x, (float) Math.pow(config.dModel(), -0.5)));
        }
        return matmulT(x, weights.get(weights.lmHeadName()));
    }

    /** One decoder block; cache entries it makes are kept out of its {@link LayerScope}. */
    private NDArray decoderBlock(
            NDArray x,
            int i,
            NDArray encoded,
            NDArray maskBias,
            NDArray selfBias,
            @Nullable T5DecoderCache cache) {
        String block = "decoder.block." + i + ".layer.";
        String self = block + "0.SelfAttention";
        NDArray n = rmsNorm(x, block + "0.layer_norm.weight");
        NDArray k = project(n, self + ".k");
        NDArray v = project(n, self + ".v");
        if (cache != null) {
            if (cache.selfKeys[i] != null) {
                k = cache.selfKeys[i].concat(k, 2);
                v = cache.selfValues[i].concat(v, 2);
            }
            cache.selfKeys[i] = k;
            cache.selfValues[i] = v;
        }
        x = x.add(linear(attend(project(n, self + ".q"), k, v, selfBias), self + ".o"));

        String cross = block + "1.EncDecAttention";
        n = rmsNorm(x, block + "1.layer_norm.weight");
        NDArray ck;
        NDArray cv;
        if (cache != null && cache.crossKeys[i] != null) {
            ck = cache.crossKeys[i];
            cv = cache.crossValues[i];
        } else {
            ck = project(encoded, cross + ".k");
            cv = project(encoded, cross + ".v");
            if (cache != null) {
                cache.crossKeys[i] = ck;
                cache.crossValues[i] = cv;
            }
        }
        x = x.add(linear(attend(project(n, cross + ".q"), ck, cv, maskBias), cross + ".o"));
        if (cache != null) {
            LayerScope.keep(
                    n.getManager(),
                    cache.selfKeys[i],
                    cache.selfValues[i],
                    cache.crossKeys[i],
                    cache.crossValues[i]);
        }
        return x.add(feedForward(rmsNorm(x, block + "2.layer_norm.weight"), block + "2"));
    }

    /** {@code softmax(Q K^T + bias) V} over heads, merged back to {@code [batch, len, inner]}. */
    private NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias) {
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(bias);
        NDArray context = scores.softmax(-1).matMul(v);
        Shape s = context.getShape();
        return context.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), config.innerDim());
    }

    /** A linear projection split into heads: {@code [batch, len, heads, d_kv]} to heads first. */
    private NDArray project(NDArray x, String module) {
        Shape s = x.getShape();
        return linear(x, module)
                .reshape(s.get(0), s.get(1), config.numHeads(), config.dKv())
                .transpose(0, 2, 1, 3);
    }

    private NDArray feedForward(NDArray x, String layer) {
        String ff = layer + ".DenseReluDense";
        NDArray hidden;
        if (config.gatedActivation()) {
            hidden = activate(linear(x, ff + ".wi_0")).mul(linear(x, ff + ".wi_1"));
        } else {
            hidden = activate(linear(x, ff + ".wi"));
        }
        return linear(hidden, ff + ".wo");
    }

    private NDArray activate(NDArray x) {
        return switch (config.activation()) {
            case RELU -> x.getNDArrayInternal().relu();
            case GELU ->
                    x.mul(x.div(Scalars.of(x, (float) Math.sqrt(2.0))).erf().add(1f))
                            .mul(Scalars.of(x, 0.5f));
            case SILU -> x.mul(x.getNDArrayInternal().sigmoid());
            case GELU_NEW -> {
                // HF NewGELUActivation, same operation order
                NDArray inner =
                        x.add(x.pow(Scalars.of(x, 3f)).mul(Scalars.of(x, 0.044715f)))
                                .mul(Scalars.of(x, (float) Math.sqrt(2.0 / Math.PI)));
                yield x.mul(Scalars.of(x, 0.5f)).mul(inner.tanh().add(1f));
            }
        };
    }

    private NDArray rmsNorm(NDArray x, String weight) {
        return RmsNorm.apply(x, weights.get(weight), config.layerNormEpsilon());
    }

    private NDArray embed(NDArray ids) {
        return WeightOps.embedding(ids, weights.get("shared.weight"));
    }

    /** {@code x W^T} plus {@code s * (x A^T) B^T} when the module has LoRA factors. */
    private NDArray linear(NDArray x, String module) {
        NDArray y = matmulT(x, weights.get(module + ".weight"));
        SideBranch f = lora.get(module);
        return f == null ? y : y.add(f.branch(x));
    }

    private static NDArray matmulT(NDArray x, NDArray w) {
        return WeightOps.linear(x, w, null);
    }

    /** The relative position bias {@code [1, heads, queries, keys]} of a stack's block 0. */
    private NDArray positionBias(
            NDManager m, String stack, int offset, int queries, int keys, boolean bidirectional) {
        long[] buckets =
                RelativePositionBuckets.matrix(
                        offset,
                        queries,
                        keys,
                        bidirectional,
                        config.relativeAttentionNumBuckets(),
                        config.relativeAttentionMaxDistance());
        NDArray ids = m.create(buckets, new Shape(queries, keys));
        NDArray table =
                weights.get(
                        stack + ".block.0.layer.0.SelfAttention.relative_attention_bias.weight");
        NDArray bias = WeightOps.embedding(ids, table);
        return bias.transpose(2, 0, 1).expandDims(0);
    }

    /** {@code [1, 1, queries, keys]}: {@code min_float} where the key lies after the query. */
    private static NDArray causalMask(NDManager m, int offset, int queries) {
        int keys = offset + queries;
        float[] mask = new float[queries * keys];
        for (int q = 0; q < queries; q++) {
            for (int k = offset + q + 1; k < keys; k++) {
                mask[q * keys + k] = MASK_VALUE;
            }
        }
        return m.create(mask, new Shape(1, 1, queries, keys));
    }
}
