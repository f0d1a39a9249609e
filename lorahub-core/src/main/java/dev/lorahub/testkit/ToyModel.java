package dev.lorahub.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.internal.AtomicFiles;
import dev.lorahub.io.StrictJson;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.DifferentiableModel;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.LossGradient;
import dev.lorahub.spi.ModelClosedException;
import dev.lorahub.spi.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A tiny causal language model in pure Java whose linear weights carry LoRA updates.
 *
 * <p>For a token {@code x}: {@code h = E[x]} (embedding {@code [V, d]}), then for each layer {@code
 * h = h + tanh(W_l h)} with {@code W_l} at {@code layers.<l>.proj} ({@code [d, d]}), then {@code
 * logits = H h} with {@code H} at {@code lm_head} ({@code [V, d]}). The next token depends on the
 * current token only (a neural bigram model), which keeps a loss evaluation at {@code V} forwards
 * however many examples there are, yet the loss is a real teacher-forced cross-entropy with Hugging
 * Face's causal semantics: {@code labels} align with {@code input_ids}, the logits at position
 * {@code t} are scored against {@code labels[t + 1]}, -100 is ignored, and the loss is the mean
 * over the labelled tokens of the batch.
 *
 * <p>An adapter's {@code deltaW = scaling * B @ A} is added to a scratch copy of each targeted
 * weight for the evaluation; the base weights are never modified, so the model is safe to share
 * between threads (after {@link #close()}, calls throw {@link ModelClosedException}, as every
 * backend's do). Weights are a pure function of {@link ToyModelConfig}; {@link #save(Path)} writes
 * only that config, which {@link #load(Path)} and {@link ToyBackend} read back.
 */
public final class ToyModel implements DifferentiableModel {
    /** The {@code model_type} in a toy model's {@code config.json}. */
    public static final String MODEL_TYPE = "lorahub-toy";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToyModelConfig config;
    private final float[] embedding;
    private final Map<String, float[]> weights;
    private final Map<String, LinearShape> shapes;
    private final ToyTokenizer tokenizer;
    private volatile boolean closed;

    private ToyModel(ToyModelConfig config) {
        this.config = config;
        int v = config.vocabSize();
        int d = config.hiddenSize();
        Random rnd = new Random(config.seed());
        this.embedding = gaussian(rnd, v * d, 1.0);
        Map<String, float[]> w = new LinkedHashMap<>();
        Map<String, LinearShape> s = new LinkedHashMap<>();
        for (int l = 0; l < config.numLayers(); l++) {
            w.put(ToyModelConfig.layerPath(l), gaussian(rnd, d * d, 1.0 / Math.sqrt(d)));
            s.put(ToyModelConfig.layerPath(l), new LinearShape(d, d));
        }
        w.put(ToyModelConfig.headPath(), gaussian(rnd, v * d, 1.5 / Math.sqrt(d)));
        s.put(ToyModelConfig.headPath(), new LinearShape(v, d));
        this.weights = Collections.unmodifiableMap(w);
        this.shapes = Collections.unmodifiableMap(s);
        this.tokenizer = new ToyTokenizer(v);
    }

    /**
     * @param config sizes and seed
     * @return the model those determine
     */
    public static ToyModel create(ToyModelConfig config) {
        return new ToyModel(Objects.requireNonNull(config, "config"));
    }

    /**
     * Loads a model from a folder written by {@link #save(Path)}.
     *
     * @param dir the folder holding {@code config.json}
     * @return the model
     * @throws IOException if the file cannot be read or is not a toy model config
     */
    public static ToyModel load(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        JsonNode root = StrictJson.read(JSON, file);
        if (!MODEL_TYPE.equals(root.path("model_type").asText())) {
            throw new IOException(
                    file
                            + ": model_type is '"
                            + root.path("model_type").asText()
                            + "', expected '"
                            + MODEL_TYPE
                            + "'");
        }
        for (String key : List.of("vocab_size", "hidden_size", "num_layers", "seed")) {
            if (!root.path(key).canConvertToLong()) {
                throw new IOException(file + ": missing or non-integer '" + key + "'");
            }
        }
        return create(
                new ToyModelConfig(
                        root.get("vocab_size").asInt(),
                        root.get("hidden_size").asInt(),
                        root.get("num_layers").asInt(),
                        root.get("seed").asLong()));
    }

    /**
     * Writes {@code config.json} (the weights follow from it) into the folder, atomically.
     *
     * @param dir the folder, created if absent
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode();
        root.put("model_type", MODEL_TYPE);
        root.put("vocab_size", config.vocabSize());
        root.put("hidden_size", config.hiddenSize());
        root.put("num_layers", config.numLayers());
        root.put("seed", config.seed());
        AtomicFiles.writeString(
                dir.resolve("config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    /**
     * @return the sizes and seed
     */
    public ToyModelConfig config() {
        return config;
    }

    @Override
    public String modelType() {
        return MODEL_TYPE;
    }

    @Override
    public Map<String, LinearShape> linearModules() {
        return shapes;
    }

    @Override
    public Optional<TextTokenizer> tokenizer() {
        return Optional.of(tokenizer);
    }

    @Override
    public EncodedBatch encode(List<FewShotExample> examples) {
        requireOpen("encode examples");
        return ToyBatch.encode(examples, tokenizer, config.vocabSize());
    }

    @Override
    public double loss(LoraModule adapter, EncodedBatch batch) {
        requireOpen("compute a loss");
        if (!(batch instanceof ToyBatch toy)) {
            throw new IllegalArgumentException(
                    "batch " + batch.getClass().getName() + " was not encoded by a toy model");
        }
        return crossEntropy(effectiveWeights(adapter), toy);
    }

    /**
     * The loss and its gradient by backpropagation in double precision: for a context token with
     * label counts {@code c_y} (total {@code C}), {@code dlogits_y = (C softmax_y - c_y) / T} over
     * the {@code T} labelled tokens; {@code dH += dlogits h_L^T}; through each residual layer
     * {@code delta = dh (1 - tanh^2(W h))}, {@code dW += delta h^T}, {@code dh += W^T delta}.
     */
    @Override
    public LossGradient lossGradient(
            LoraModule adapter, EncodedBatch batch, Set<String> modulePaths) {
        requireOpen("compute a gradient");
        if (!(batch instanceof ToyBatch toy)) {
            throw new IllegalArgumentException(
                    "batch " + batch.getClass().getName() + " was not encoded by a toy model");
        }
        for (String path : modulePaths) {
            if (!shapes.containsKey(path)) {
                throw new IllegalArgumentException(
                        "no linear module '" + path + "' in the toy model (has " + shapes.keySet()
                                + ")");
            }
        }
        Map<String, float[]> w = effectiveWeights(adapter);
        int v = config.vocabSize();
        int d = config.hiddenSize();
        int layers = config.numLayers();
        double tokens = toy.labelledTokens();
        Map<String, double[]> grads = new LinkedHashMap<>();
        for (String path : shapes.keySet()) {
            grads.put(path, new double[shapes.get(path).outFeatures() * d]);
        }
        int[] counts = toy.counts();
        double total = 0.0;
        double[][] hs = new double[layers + 1][d];
        double[][] ts = new double[layers][d];
        double[] logits = new double[v];
        for (int x = 0; x < v; x++) {
            int c = 0;
            for (int y = 0; y < v; y++) {
                c += counts[x * v + y];
            }
            if (c == 0) {
                continue;
            }
            for (int k = 0; k < d; k++) {
                hs[0][k] = embedding[x * d + k];
            }
            for (int l = 0; l < layers; l++) {
                float[] m = w.get(ToyModelConfig.layerPath(l));
                for (int o = 0; o < d; o++) {
                    double acc = 0.0;
                    for (int i = 0; i < d; i++) {
                        acc += m[o * d + i] * hs[l][i];
                    }
                    ts[l][o] = Math.tanh(acc);
                    hs[l + 1][o] = hs[l][o] + ts[l][o];
                }
            }
            float[] head = w.get(ToyModelConfig.headPath());
            for (int y = 0; y < v; y++) {
                double acc = 0.0;
                for (int k = 0; k < d; k++) {
                    acc += head[y * d + k] * hs[layers][k];
                }
                logits[y] = acc;
            }
            double lse = logSumExp(logits);
            double[] dh = new double[d];
            double[] gHead = grads.get(ToyModelConfig.headPath());
            for (int y = 0; y < v; y++) {
                int cy = counts[x * v + y];
                total += cy * (lse - logits[y]);
                double dl = (c * Math.exp(logits[y] - lse) - cy) / tokens;
                for (int k = 0; k < d; k++) {
                    gHead[y * d + k] += dl * hs[layers][k];
                    dh[k] += dl * head[y * d + k];
                }
            }
            for (int l = layers - 1; l >= 0; l--) {
                float[] m = w.get(ToyModelConfig.layerPath(l));
                double[] gl = grads.get(ToyModelConfig.layerPath(l));
                double[] next = dh.clone(); // the residual path
                for (int o = 0; o < d; o++) {
                    double delta = dh[o] * (1 - ts[l][o] * ts[l][o]);
                    for (int i = 0; i < d; i++) {
                        gl[o * d + i] += delta * hs[l][i];
                        next[i] += m[o * d + i] * delta;
                    }
                }
                dh = next;
            }
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String path : modulePaths) {
            double[] g = grads.get(path);
            float[] f = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                f[i] = (float) g[i];
            }
            out.put(path, f);
        }
        return new LossGradient(total / tokens, out);
    }

    /**
     * The mean cross-entropy of a batch under explicit weights.
     *
     * @param w effective weights by module path
     * @param batch the counts of (context, label) pairs
     * @return the token-mean cross-entropy in nats
     */
    double crossEntropy(Map<String, float[]> w, ToyBatch batch) {
        int v = config.vocabSize();
        int[] counts = batch.counts();
        double total = 0.0;
        double[] logits = new double[v];
        for (int x = 0; x < v; x++) {
            boolean any = false;
            for (int y = 0; y < v && !any; y++) {
                any = counts[x * v + y] != 0;
            }
            if (!any) {
                continue;
            }
            forward(x, w, logits);
            double lse = logSumExp(logits);
            for (int y = 0; y < v; y++) {
                int c = counts[x * v + y];
                if (c != 0) {
                    total += c * (lse - logits[y]);
                }
            }
        }
        return total / batch.labelledTokens();
    }

    /**
     * @return the base weights with the adapter's updates added to copies of targeted ones
     */
    Map<String, float[]> effectiveWeights(LoraModule adapter) {
        Map<String, float[]> w = new LinkedHashMap<>(weights);
        for (LoraLayer layer : adapter.layers().values()) {
            LinearShape shape =
                    LinearShape.targetOf(shapes, "the toy model", adapter.name(), layer);
            float[] delta = layer.deltaWeight();
            float[] sum = w.get(layer.modulePath()).clone();
            int out = shape.outFeatures();
            int in = shape.inFeatures();
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    sum[o * in + i] += layer.fanInFanOut() ? delta[i * out + o] : delta[o * in + i];
                }
            }
            w.put(layer.modulePath(), sum);
        }
        return w;
    }

    /**
     * @return the base weights plus explicit full-rank updates (used to build task targets)
     */
    Map<String, float[]> plus(Map<String, float[]> deltas) {
        Map<String, float[]> w = new LinkedHashMap<>(weights);
        deltas.forEach(
                (path, delta) -> {
                    float[] sum = w.get(path).clone();
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += delta[i];
                    }
                    w.put(path, sum);
                });
        return w;
    }

    /** Computes the logits of the token following {@code x} into {@code logits}. */
    void forward(int x, Map<String, float[]> w, double[] logits) {
        int d = config.hiddenSize();
        double[] h = new double[d];
        double[] next = new double[d];
        for (int k = 0; k < d; k++) {
            h[k] = embedding[x * d + k];
        }
        for (int l = 0; l < config.numLayers(); l++) {
            float[] m = w.get(ToyModelConfig.layerPath(l));
            for (int o = 0; o < d; o++) {
                double acc = 0.0;
                for (int i = 0; i < d; i++) {
                    acc += m[o * d + i] * h[i];
                }
                next[o] = h[o] + Math.tanh(acc);
            }
            double[] t = h;
            h = next;
            next = t;
        }
        float[] head = w.get(ToyModelConfig.headPath());
        for (int y = 0; y < config.vocabSize(); y++) {
            double acc = 0.0;
            for (int k = 0; k < d; k++) {
                acc += head[y * d + k] * h[k];
            }
            logits[y] = acc;
        }
    }

    /** Samples the token after {@code x} at temperature 1 (or greedily at 0). */
    int nextToken(int x, Map<String, float[]> w, double temperature, SplittableRandom rnd) {
        double[] logits = new double[config.vocabSize()];
        forward(x, w, logits);
        if (temperature == 0.0) {
            int best = 0;
            for (int y = 1; y < logits.length; y++) {
                if (logits[y] > logits[best]) {
                    best = y;
                }
            }
            return best;
        }
        for (int y = 0; y < logits.length; y++) {
            logits[y] /= temperature;
        }
        double lse = logSumExp(logits);
        double u = rnd.nextDouble();
        double cum = 0.0;
        for (int y = 0; y < logits.length; y++) {
            cum += Math.exp(logits[y] - lse);
            if (u < cum) {
                return y;
            }
        }
        return logits.length - 1;
    }

    @Override
    public List<int[]> generate(LoraModule adapter, List<int[]> promptIds, GenerationConfig cfg) {
        requireOpen("generate");
        Map<String, float[]> w = effectiveWeights(adapter);
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        List<int[]> out = new ArrayList<>();
        for (int p = 0; p < promptIds.size(); p++) {
            int[] prompt = promptIds.get(p);
            if (prompt.length == 0) {
                throw new IllegalArgumentException("prompt " + p + " is empty");
            }
            int last =
                    ToyBatch.checkId(prompt[prompt.length - 1], p, "prompt id", config.vocabSize());
            List<Integer> gen = new ArrayList<>();
            for (int n = 0; n < cfg.maxNewTokens(); n++) {
                last = nextToken(last, w, cfg.temperature(), rnd);
                gen.add(last);
                if (last == ToyTokenizer.EOS) {
                    break;
                }
            }
            out.add(gen.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    /** Nothing to free (the toy model lives on the Java heap); later calls are refused. */
    @Override
    public void close() {
        closed = true;
    }

    private void requireOpen(String what) {
        if (closed) {
            throw new ModelClosedException("the toy model is closed; cannot " + what);
        }
    }

    @Override
    public String toString() {
        return "ToyModel" + config;
    }

    private static double logSumExp(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0.0;
        for (double l : logits) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum);
    }

    private static float[] gaussian(Random rnd, int n, double std) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (rnd.nextGaussian() * std);
        }
        return out;
    }
}
