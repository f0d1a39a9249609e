package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.djl.internal.Checkpoint;
import dev.lorahub.model.WeightDtype;
import dev.lorahub.spi.LinearShape;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The float32 weights of a T5 model by HF state-dict name, validated against a {@link T5Config}.
 *
 * <p>HF drops tied aliases when saving, so {@code encoder.embed_tokens.weight} and {@code
 * decoder.embed_tokens.weight} are never read: both stacks embed with {@code shared.weight}, and
 * with {@code tie_word_embeddings} so does the lm_head. Ownership: the arrays stay owned by whoever
 * created them (normally the model's NDManager); this class never closes them.
 */
public final class T5Weights {
    private final T5Config config;
    private final Map<String, NDArray> tensors;

    private T5Weights(T5Config config, Map<String, NDArray> tensors) {
        this.config = config;
        this.tensors = tensors;
    }

    /**
     * Checks that every tensor the config needs is present with the right shape.
     *
     * @param config the model's config
     * @param tensors tensors by HF name; extra tensors (such as stored {@code embed_tokens}
     *     aliases) are ignored; the map is copied, the arrays are shared
     * @return the validated weights
     * @throws IllegalArgumentException naming the tensor when one is missing or misshaped
     */
    public static T5Weights of(T5Config config, Map<String, NDArray> tensors) {
        Objects.requireNonNull(config, "config");
        Map<String, NDArray> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            String name = e.getKey();
            NDArray t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("T5 tensor '" + name + "' is missing");
            }
            long[] shape = t.getShape().getShape();
            if (!Arrays.equals(shape, e.getValue())) {
                throw new IllegalArgumentException(
                        "T5 tensor '"
                                + name
                                + "' has shape "
                                + Arrays.toString(shape)
                                + ", expected "
                                + Arrays.toString(e.getValue())
                                + " from config");
            }
            resolved.put(name, t);
        }
        return new T5Weights(config, Collections.unmodifiableMap(resolved));
    }

    /**
     * Loads every tensor the config needs from a Hugging Face checkpoint, the matrices in {@code
     * dtype}, vectors in float32.
     *
     * @param config the model's config
     * @param checkpoint the open checkpoint (single file or shards; F32, F16, BF16)
     * @param manager the manager that will own the arrays
     * @param dtype how to keep the weight matrices
     * @return the weights
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException naming the file and tensor when one is missing, misshaped or not
     *     a float type, or holds a value float16 cannot hold
     */
    public static T5Weights load(
            T5Config config, Checkpoint checkpoint, NDManager manager, WeightDtype dtype)
            throws IOException {
        Map<String, NDArray> loaded = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            loaded.put(e.getKey(), checkpoint.load(e.getKey(), e.getValue(), manager, dtype));
        }
        return of(config, loaded);
    }

    /**
     * @return the name of the lm_head matrix: {@code shared.weight} when tied, otherwise {@code
     *     lm_head.weight}
     */
    String lmHeadName() {
        return config.tieWordEmbeddings() ? "shared.weight" : "lm_head.weight";
    }

    /**
     * @return the config the weights were validated against
     */
    public T5Config config() {
        return config;
    }

    /**
     * @param name an HF state-dict name, e.g. {@code
     *     encoder.block.0.layer.0.SelfAttention.q.weight}
     * @return the tensor
     * @throws IllegalArgumentException if the model has no such tensor
     */
    public NDArray get(String name) {
        NDArray t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("T5 model has no tensor '" + name + "'");
        }
        return t;
    }

    /**
     * @return every tensor by name, in state-dict order (tied aliases resolved)
     */
    public Map<String, NDArray> all() {
        return tensors;
    }

    /**
     * The shape of every tensor a T5 model of this config reads, in HF's state-dict order. The tied
     * aliases are not among them: both {@code embed_tokens} are {@code shared.weight}, and so is
     * the lm_head with {@code tie_word_embeddings}.
     *
     * @param c the config
     * @return name to shape
     */
    public static Map<String, long[]> expectedShapes(T5Config c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put("shared.weight", new long[] {c.vocabSize(), c.dModel()});
        addStack(out, c, "encoder", c.numLayers(), false);
        addStack(out, c, "decoder", c.numDecoderLayers(), true);
        if (!c.tieWordEmbeddings()) {
            out.put("lm_head.weight", new long[] {c.vocabSize(), c.dModel()});
        }
        return out;
    }

    private static void addStack(
            Map<String, long[]> out, T5Config c, String stack, int layers, boolean decoder) {
        long d = c.dModel();
        long buckets = c.relativeAttentionNumBuckets();
        for (int i = 0; i < layers; i++) {
            String block = stack + ".block." + i + ".layer.";
            String self = block + "0.SelfAttention";
            addLinears(out, linearModulesOfAttention(self), c);
            if (i == 0) {
                out.put(
                        self + ".relative_attention_bias.weight",
                        new long[] {buckets, c.numHeads()});
            }
            out.put(block + "0.layer_norm.weight", new long[] {d});
            int ff = 1;
            if (decoder) {
                addLinears(out, linearModulesOfAttention(block + "1.EncDecAttention"), c);
                out.put(block + "1.layer_norm.weight", new long[] {d});
                ff = 2;
            }
            for (String m : feedForwardModules(c, block + ff + ".DenseReluDense")) {
                out.put(m + ".weight", shapeOf(c, m).asArray());
            }
            out.put(block + ff + ".layer_norm.weight", new long[] {d});
        }
        out.put(stack + ".final_layer_norm.weight", new long[] {d});
    }

    private static void addLinears(Map<String, long[]> out, String[] modules, T5Config c) {
        for (String m : modules) {
            out.put(m + ".weight", shapeOf(c, m).asArray());
        }
    }

    private static String[] linearModulesOfAttention(String prefix) {
        return new String[] {prefix + ".q", prefix + ".k", prefix + ".v", prefix + ".o"};
    }

    private static String[] feedForwardModules(T5Config c, String prefix) {
        return c.gatedActivation()
                ? new String[] {prefix + ".wi_0", prefix + ".wi_1", prefix + ".wo"}
                : new String[] {prefix + ".wi", prefix + ".wo"};
    }

    /**
     * Every linear layer an adapter may target, by PEFT module path, in model order: per encoder
     * block {@code SelfAttention.{q,k,v,o}} and {@code DenseReluDense.{wi_0,wi_1,wo}} (or {@code
     * wi} when not gated), per decoder block also {@code layer.1.EncDecAttention.{q,k,v,o}}, its
     * feed-forward in {@code layer.2}.
     *
     * @param c the config
     * @return module path to {@code [out, in]}
     */
    public static Map<String, LinearShape> linearModules(T5Config c) {
        Map<String, LinearShape> out = new LinkedHashMap<>();
        for (String stack : new String[] {"encoder", "decoder"}) {
            boolean decoder = stack.equals("decoder");
            int layers = decoder ? c.numDecoderLayers() : c.numLayers();
            for (int i = 0; i < layers; i++) {
                String block = stack + ".block." + i + ".layer.";
                for (String m : linearModulesOfAttention(block + "0.SelfAttention")) {
                    out.put(m, shapeOf(c, m).shape());
                }
                if (decoder) {
                    for (String m : linearModulesOfAttention(block + "1.EncDecAttention")) {
                        out.put(m, shapeOf(c, m).shape());
                    }
                }
                for (String m :
                        feedForwardModules(c, block + (decoder ? 2 : 1) + ".DenseReluDense")) {
                    out.put(m, shapeOf(c, m).shape());
                }
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private record Dims(LinearShape shape) {
        long[] asArray() {
            return new long[] {shape.outFeatures(), shape.inFeatures()};
        }
    }

    private static Dims shapeOf(T5Config c, String module) {
        int d = c.dModel();
        int inner = c.innerDim();
        String leaf = module.substring(module.lastIndexOf('.') + 1);
        LinearShape s =
                switch (leaf) {
                    case "q", "k", "v" -> new LinearShape(inner, d);
                    case "o" -> new LinearShape(d, inner);
                    case "wi", "wi_0", "wi_1" -> new LinearShape(c.dFf(), d);
                    case "wo" -> new LinearShape(d, c.dFf());
                    default -> throw new IllegalStateException("not a T5 linear: " + module);
                };
        return new Dims(s);
    }
}
