package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.lorahub.FewShotExample;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.djl.internal.LayerScope;
import dev.lorahub.djl.internal.RmsNorm;
import dev.lorahub.djl.internal.Scalars;
import dev.lorahub.djl.internal.WeightOps;
import dev.lorahub.djl.train.LoraPair;
import dev.lorahub.djl.train.SideBranch;
import dev.lorahub.djl.train.TrainableModel;
import dev.lorahub.spi.LinearShape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A LLaMA-family decoder whose forward is a plain function of its weights map, so that it is
 * differentiable with DJL autograd whenever weights or {@link LoraPair} require gradients.
 *
 * <p>Weights are float32 NDArrays keyed by Hugging Face name (see {@link LlamaLayout}); they live
 * in a sub-manager owned by this object and freed by {@link #close()}. The forward computes, as
 * {@code LlamaForCausalLM} in transformers 4.36 (eager attention): {@code x = embed[ids]}; per
 * layer {@code x += o_proj(attn(rope(q), rope(k), v))} over {@code rmsnorm(x)} and {@code x +=
 * down(silu(gate(h)) * up(h))} over {@code h = rmsnorm(x)}; {@code logits = lm_head(rmsnorm(x))}.
 * Attention: {@code softmax(q k^T / sqrt(D) + mask) v}, query head {@code h} uses KV head {@code h
 * / groups}; the mask adds {@code -Float.MAX_VALUE} for future keys and keys whose attention mask
 * is 0.
 *
 * <p>Memory rule (see spec/djl-notes.md): every op takes a per-call array as receiver, so all
 * intermediate results are attached to the manager of {@code inputIds}. Callers create the inputs
 * in a sub-manager and close it after the call; the weights' manager never grows.
 *
 * <p>Training: make A/B NDArrays that require gradients, pass them as {@link LoraPair} keyed by
 * module path (e.g. {@code model.layers.0.self_attn.q_proj}) and differentiate the loss of the
 * returned logits inside a {@code GradientCollector}. Pretraining: call {@code
 * setRequiresGradient(true)} on the arrays of {@link #weights()}.
 */
public final class LlamaModel implements TrainableModel, AutoCloseable {
    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> weights;
    private final Rotary rotary;

    /**
     * Takes ownership of weights that already live in {@code manager}.
     *
     * @param config the config
     * @param weights float32 arrays by HF name with the shapes of {@link LlamaLayout#shapes}
     * @param manager the manager owning the weights; closed by {@link #close()}
     * @throws IllegalArgumentException naming the tensor when one is missing or misshapen
     */
    public LlamaModel(LlamaConfig config, Map<String, NDArray> weights, NDManager manager) {
        this.config = Objects.requireNonNull(config, "config");
        this.manager = Objects.requireNonNull(manager, "manager");
        Map<String, NDArray> w = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : LlamaLayout.shapes(config).entrySet()) {
            NDArray a = weights.get(e.getKey());
            if (a == null) {
                throw new IllegalArgumentException("missing weight '" + e.getKey() + "'");
            }
            if (!a.getShape().equals(new Shape(e.getValue()))) {
                throw new IllegalArgumentException(
                        "weight '"
                                + e.getKey()
                                + "' is "
                                + a.getShape()
                                + ", expected "
                                + new Shape(e.getValue()));
            }
            w.put(e.getKey(), a);
        }
        this.weights = Collections.unmodifiableMap(w);
        this.rotary = new Rotary(config);
    }

    /**
     * A randomly initialised model, like Hugging Face's {@code _init_weights}: linear weights and
     * embeddings {@code ~ N(0, initializer_range^2)} (the pad row of the embedding zero), biases 0,
     * RMSNorm weights 1. Deterministic for a seed (Java's {@code SplittableRandom}).
     *
     * @param config the config
     * @param seed the seed
     * @param parent the manager under which a sub-manager for the weights is made
     * @return the model, owning its weights
     */
    public static LlamaModel create(LlamaConfig config, long seed, NDManager parent) {
        NDManager m = parent.newSubManager();
        try {
            return new LlamaModel(config, LlamaInit.randomWeights(config, seed, m), m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * @return the config
     */
    public LlamaConfig config() {
        return config;
    }

    /**
     * @return the manager that owns the weights
     */
    @Override
    public NDManager manager() {
        return manager;
    }

    /**
     * @return every weight by HF name, in model order (shared, not copies)
     */
    public Map<String, NDArray> weights() {
        return weights;
    }

    /**
     * @return the same as {@link #weights()}: every parameter by HF name
     */
    @Override
    public Map<String, NDArray> parameters() {
        return weights;
    }

    /**
     * @return every targetable linear module by PEFT module path with its {@code [out, in]} shape
     */
    @Override
    public Map<String, LinearShape> linearModules() {
        Map<String, LinearShape> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : linearWeights().entrySet()) {
            Shape s = e.getValue().getShape();
            out.put(e.getKey(), new LinearShape((int) s.get(0), (int) s.get(1)));
        }
        return out;
    }

    /**
     * The training forward: right-padded (or unpadded) ids, causal mask only, positions {@code
     * 0..T-1}, with LoRA side branches.
     *
     * @param inputIds {@code [B, T]} int64, in a per-step manager
     * @param lora factors by module path (may be empty)
     * @return logits {@code [B, T, V]} float32, in the manager of {@code inputIds}
     */
    @Override
    public NDArray logits(NDArray inputIds, Map<String, LoraPair> lora) {
        return forward(inputIds, null, null, null, lora);
    }

    /**
     * @return the weight of every targetable linear module by PEFT module path, {@code [out, in]},
     *     in model order (shared with the forward: patching them in place changes the model)
     */
    public Map<String, NDArray> linearWeights() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String path : LlamaLayout.linearModules(config)) {
            out.put(path, weights.get(path + ".weight"));
        }
        return out;
    }

    /**
     * @return the number of parameters (tied embeddings counted once)
     */
    public long parameterCount() {
        long n = 0;
        for (NDArray a : weights.values()) {
            n += a.size();
        }
        return n;
    }

    /**
     * The forward of the whole sequence, without cache or LoRA branch: {@code position_ids} are
     * {@code 0..T-1} whatever the mask says, as HF's forward without explicit positions.
     *
     * @param inputIds {@code [B, T]} int64 or int32 token ids, in a per-call manager
     * @param attentionMask {@code [B, T]} 1 = attend, 0 = padding; null for all ones
     * @return logits {@code [B, T, V]} float32, in the manager of {@code inputIds}
     */
    public NDArray forward(NDArray inputIds, @Nullable NDArray attentionMask) {
        return forward(inputIds, attentionMask, null, null, Map.of());
    }

    /**
     * The full forward.
     *
     * @param inputIds {@code [B, T]} new token ids, in a per-call manager
     * @param attentionMask {@code [B, past + T]} 1 = attend, 0 = padding, covering cached and new
     *     positions; null for all ones
     * @param positionIds {@code [B, T]} RoPE positions of the new tokens; null for {@code past ..
     *     past + T - 1}
     * @param cache the KV cache to read and extend, or null
     * @param lora trainable LoRA branches by module path (may be empty)
     * @return logits {@code [B, T, V]} float32, in the manager of {@code inputIds}
     */
    public NDArray forward(
            NDArray inputIds,
            @Nullable NDArray attentionMask,
            @Nullable NDArray positionIds,
            @Nullable KvCache cache,
            Map<String, ? extends SideBranch> lora) {
        return lmHead(hiddenStates(inputIds, attentionMask, positionIds, cache, lora), lora);
    }

    /**
     * Hugging Face's causal-LM loss ({@code logits[b, t]} scored against {@code labels[b, t + 1]},
     * -100 ignored, token-mean over the batch), computing the LM head only at the scored positions:
     * with long prompts and short targets this skips most of the {@code [B, T, V]} logits.
     * Differentiable like {@link #forward}.
     *
     * @param inputIds {@code [B, T]} token ids, in a per-call manager
     * @param attentionMask {@code [B, T]}, or null for all ones
     * @param labels {@code [B, T]} aligned with the ids
     * @param lora LoRA branches by module path (may be empty)
     * @return the scalar loss (NaN when no label is scored), in the manager of {@code inputIds}
     */
    public NDArray causalLoss(
            NDArray inputIds,
            @Nullable NDArray attentionMask,
            NDArray labels,
            Map<String, ? extends SideBranch> lora) {
        NDManager m = inputIds.getManager();
        Scored scored = Scored.of(labels);
        if (scored.count() == 0) {
            return m.create(Float.NaN);
        }
        NDArray logits = scoredLogits(inputIds, attentionMask, scored, lora).expandDims(0);
        return CrossEntropy.aligned(
                logits, m.create(scored.targets(), new Shape(1, scored.count())));
    }

    /**
     * The loss of {@link #causalLoss} for each of {@code copies} equal groups of rows: row {@code
     * r} belongs to group {@code r / (B / copies)}, and each group's loss is the token-mean over
     * its own rows, as {@link #causalLoss} of those rows alone. For one forward over several
     * candidate adapters ({@link dev.lorahub.djl.CandidateBranches}): the batch repeated once per
     * candidate.
     *
     * @param inputIds {@code [B, T]} token ids, B a multiple of {@code copies}, in a per-call
     *     manager
     * @param attentionMask {@code [B, T]}, or null for all ones
     * @param labels {@code [B, T]} aligned with the ids, every group labelled alike
     * @param lora side branches by module path (may be empty)
     * @param copies the number of groups
     * @return {@code [copies]} losses (NaN when no label is scored), in the manager of {@code
     *     inputIds}
     */
    public NDArray causalLosses(
            NDArray inputIds,
            @Nullable NDArray attentionMask,
            NDArray labels,
            Map<String, ? extends SideBranch> lora,
            int copies) {
        NDManager m = inputIds.getManager();
        Scored scored = Scored.of(labels);
        if (scored.count() == 0) {
            float[] nan = new float[copies];
            java.util.Arrays.fill(nan, Float.NaN);
            return m.create(nan);
        }
        if (scored.count() % copies != 0) {
            throw new IllegalArgumentException(
                    scored.count() + " labelled positions do not split into " + copies + " groups");
        }
        int perCopy = scored.count() / copies;
        NDArray logits =
                scoredLogits(inputIds, attentionMask, scored, lora).reshape(copies, perCopy, -1);
        NDArray targets = m.create(scored.targets(), new Shape(copies, perCopy));
        NDArray[] sumAndCount = CrossEntropy.rowSumsAndCounts(logits, targets);
        return sumAndCount[0].div(sumAndCount[1]);
    }

    private NDArray scoredLogits(
            NDArray inputIds,
            @Nullable NDArray attentionMask,
            Scored scored,
            Map<String, ? extends SideBranch> lora) {
        NDArray hidden = hiddenStates(inputIds, attentionMask, null, null, lora);
        NDArray picked =
                hidden.reshape(-1, config.hiddenSize())
                        .get(inputIds.getManager().create(scored.keep()));
        return lmHead(picked, lora);
    }

    /**
     * The positions a causal loss scores, row-major: {@code keep[r * T + i]} when {@code labels[r,
     * i + 1]} is not -100, and their targets in the same order.
     */
    private record Scored(boolean[] keep, int[] targets) {
        static Scored of(NDArray labels) {
            int b = (int) labels.getShape().get(0);
            int t = (int) labels.getShape().get(1);
            int[] y = labels.toType(DataType.INT32, false).toIntArray();
            boolean[] keep = new boolean[b * t];
            int[] targets = new int[b * t];
            int n = 0;
            for (int r = 0; r < b; r++) {
                for (int i = 0; i + 1 < t; i++) {
                    int label = y[r * t + i + 1];
                    if (label != FewShotExample.IGNORE_INDEX) {
                        keep[r * t + i] = true;
                        targets[n++] = label;
                    }
                }
            }
            return new Scored(keep, java.util.Arrays.copyOf(targets, n));
        }

        int count() {
            return targets.length;
        }
    }

    /**
     * The LM head: {@code h lm_head^T} (the embedding when tied), for callers that need logits of
     * some positions only (the loss of prompt-plus-target examples scores the target only).
     *
     * @param hidden {@code [..., d]} final hidden states from {@link #hiddenStates}
     * @param lora LoRA branches (only {@code lm_head} is used)
     * @return logits {@code [..., V]}, in the manager of {@code hidden}
     */
    public NDArray lmHead(NDArray hidden, Map<String, ? extends SideBranch> lora) {
        return config.tieWordEmbeddings()
                ? WeightOps.linear(hidden, weights.get("model.embed_tokens.weight"), null)
                : linear(hidden, "lm_head", lora);
    }

    /**
     * The decoder without the LM head: arguments as {@link #forward(NDArray, NDArray, NDArray,
     * KvCache, Map)}.
     *
     * @param inputIds {@code [B, T]} new token ids, in a per-call manager
     * @param attentionMask {@code [B, past + T]}, or null for all ones
     * @param positionIds {@code [B, T]}, or null for {@code past .. past + T - 1}
     * @param cache the KV cache to read and extend, or null
     * @param lora LoRA branches by module path (may be empty)
     * @return the final-normed hidden states {@code [B, T, d]}, in the manager of {@code inputIds}
     */
    public NDArray hiddenStates(
            NDArray inputIds,
            @Nullable NDArray attentionMask,
            @Nullable NDArray positionIds,
            @Nullable KvCache cache,
            Map<String, ? extends SideBranch> lora) {
        NDManager m = inputIds.getManager();
        long b = inputIds.getShape().get(0);
        int t = (int) inputIds.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        NDArray ids = inputIds.toType(DataType.INT64, false);
        NDArray x = WeightOps.embedding(ids, weights.get("model.embed_tokens.weight"));
        NDArray mask =
                AttentionMask.additive(m, attentionMask, (int) b, t, past, config.slidingWindow());
        NDArray[] cosSin = rotary.cosSin(m, positionIds, t, past);
        for (int i = 0; i < config.numLayers(); i++) {
            int layer = i;
            x = LayerScope.run(x, in -> block(in, layer, mask, cosSin, cache, lora));
        }
        if (cache != null) {
            cache.advance(t);
        }
        return rmsNorm(x, weights.get("model.norm.weight"));
    }

    /** One decoder layer; KV-cache entries it makes are kept out of its {@link LayerScope}. */
    private NDArray block(
            NDArray x,
            int i,
            NDArray mask,
            NDArray[] cosSin,
            @Nullable KvCache cache,
            Map<String, ? extends SideBranch> lora) {
        String p = "model.layers." + i + ".";
        NDArray h = rmsNorm(x, weights.get(p + "input_layernorm.weight"));
        x = x.add(attention(h, i, mask, cosSin, cache, lora));
        if (cache != null) {
            LayerScope.keep(h.getManager(), cache.keys(i), cache.values(i));
        }
        h = rmsNorm(x, weights.get(p + "post_attention_layernorm.weight"));
        NDArray gate = linear(h, p + "mlp.gate_proj", lora);
        NDArray up = linear(h, p + "mlp.up_proj", lora);
        NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);
        return x.add(linear(act, p + "mlp.down_proj", lora));
    }

    private NDArray attention(
            NDArray h,
            int layer,
            NDArray mask,
            NDArray[] cosSin,
            @Nullable KvCache cache,
            Map<String, ? extends SideBranch> lora) {
        String p = "model.layers." + layer + ".self_attn.";
        long b = h.getShape().get(0);
        long t = h.getShape().get(1);
        int d = config.headDim();
        NDArray q = heads(linear(h, p + "q_proj", lora), b, t, config.numHeads());
        NDArray k = heads(linear(h, p + "k_proj", lora), b, t, config.numKvHeads());
        NDArray v = heads(linear(h, p + "v_proj", lora), b, t, config.numKvHeads());
        q = rotary.apply(q, cosSin);
        k = rotary.apply(k, cosSin);
        if (cache != null) {
            if (cache.keys(layer) != null) {
                // the cached arrays are the receivers: move the results into this call's manager
                k = cache.keys(layer).concat(k, 2);
                v = cache.values(layer).concat(v, 2);
                k.attach(h.getManager());
                v.attach(h.getManager());
            }
            cache.put(layer, k, v);
        }
        if (config.kvGroups() > 1) {
            k = k.repeat(1, config.kvGroups());
            v = v.repeat(1, config.kvGroups());
        }
        NDArray raw = q.matMul(k.transpose(0, 1, 3, 2));
        NDArray scores = raw.div(Scalars.of(raw, (float) Math.sqrt(d))).add(mask);
        NDArray out = scores.softmax(-1).matMul(v);
        out = out.transpose(0, 2, 1, 3).reshape(b, t, (long) config.numHeads() * d);
        return linear(out, p + "o_proj", lora);
    }

    private static NDArray heads(NDArray x, long b, long t, int n) {
        return x.reshape(b, t, n, -1).transpose(0, 2, 1, 3);
    }

    private NDArray linear(NDArray x, String module, Map<String, ? extends SideBranch> lora) {
        NDArray bias = weights.get(module + ".bias");
        NDArray w = weights.get(module + ".weight");
        NDArray y = WeightOps.linear(x, w, bias);
        SideBranch l = lora.get(module);
        return l == null ? y : y.add(l.branch(x));
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        return RmsNorm.apply(x, weight, config.rmsNormEps());
    }

    /**
     * Writes this model as a Hugging Face folder ({@code config.json} + {@code model.safetensors},
     * F32), readable by {@link LlamaFiles#load} and by transformers.
     *
     * @param dir the target folder
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        LlamaFiles.save(this, dir);
    }

    /** Frees the weights. */
    @Override
    public void close() {
        manager.close();
    }
}
