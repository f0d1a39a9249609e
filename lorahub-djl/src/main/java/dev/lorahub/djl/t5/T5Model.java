package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.CandidateBranches;
import dev.lorahub.djl.AdapterMode;
import dev.lorahub.djl.CandidateEvaluator;
import dev.lorahub.djl.DjlBaseModel;
import dev.lorahub.djl.DeclaredTemplate;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.djl.internal.Checkpoint;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.djl.InPlaceLora;
import dev.lorahub.djl.train.LoraPair;
import dev.lorahub.djl.train.SideBranch;
import dev.lorahub.djl.train.WeightGradients;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.model.WeightDtype;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.LossGradient;
import dev.lorahub.spi.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A T5 encoder-decoder (original T5, T5 v1.1, Flan-T5, mT5) loaded from a Hugging Face folder, as a
 * LoraHub {@link BaseModel}.
 *
 * <p>{@link #loss} is HF's {@code T5ForConditionalGeneration(input_ids, attention_mask,
 * labels).loss}: decoder inputs are the labels shifted right behind {@code decoder_start_token_id},
 * {@code -100} is ignored, and the cross-entropy is the mean over all labelled tokens of the batch.
 * The adapter's {@code deltaW = scaling * B @ A} acts on every targeted linear ({@code q, k, v, o} of
 * SelfAttention and EncDecAttention, {@code wi_0, wi_1, wo} or {@code wi, wo} of DenseReluDense):
 * with {@link AdapterMode#IN_PLACE}, and always for {@link #generate} and {@link
 * #lossGradient}, added in place through {@link InPlaceLora} and restored bit-exactly afterwards;
 * with {@link AdapterMode#BRANCH} as a side branch {@code x A^T (s B)^T} beside the untouched
 * weight; by default ({@link AdapterMode#AUTO}) per loss, whichever costs fewer operations. Every evaluation runs in a sub-manager that is closed before it returns.
 *
 * <p>{@link #lossGradient} adds one backward pass (DJL autograd) for gradient-based weight
 * learning.
 *
 * <p>Threads: safe to share. {@link #loss}, {@link #losses}, {@link #lossGradient}, {@link
 * #generate}, {@link #logits} and {@link #encode} hold one lock per model while they patch, run
 * and restore (see {@link InPlaceLora}), so calls from several threads run one after another,
 * each on the base weights plus its own adapter, with the same result as alone (bit for bit).
 * {@link #close()} waits for the call in progress; any call after it throws {@link
 * dev.lorahub.spi.ModelClosedException}. {@link #weights()} and {@link #forward(Map)} are
 * unguarded: whoever uses them serialises on their own.
 */
public final class T5Model implements DjlBaseModel {
    /**
     * The automatic group size where AUTO takes side branches: 8. On flan-t5-large (2 threads,
     * quiet machine) a candidate in a forward of 4 took 0.80x, of 8 0.78x and of 16 1.05x the
     * in-place time per candidate (docs/scale.md, "Candidates in batches").
     */
    public static final int AUTO_CANDIDATES_PER_FORWARD = 8;

    /**
     * {@link #candidatesPerForward()} by default: {@link
     * CandidateEvaluator#DEFAULT_CANDIDATES_PER_FORWARD}.
     */
    public static final int DEFAULT_CANDIDATES_PER_FORWARD =
            CandidateEvaluator.DEFAULT_CANDIDATES_PER_FORWARD;

    private final NDManager manager;
    private final T5Weights weights;
    private final T5Forward forward;
    private final InPlaceLora lora;
    /** The targetable linear weights by module path (shared with the forward). */
    private final Map<String, NDArray> targets;
    private final @Nullable T5Tokenizer tokenizer;
    private final ExampleTemplate template;
    private final CandidateEvaluator<T5Batch> candidates;

    /**
     * The example layout is {@link ExampleTemplate#PLAIN}; {@link #load(Path)} reads the folder's.
     *
     * @param manager the manager that owns the weights; the model closes it
     * @param weights the weights, in {@code manager}
     * @param tokenizer the tokenizer, closed by the model, or null
     */
    public T5Model(NDManager manager, T5Weights weights, @Nullable T5Tokenizer tokenizer) {
        this(manager, weights, tokenizer, ExampleTemplate.PLAIN);
    }

    /**
     * @param manager the manager that owns the weights; the model closes it
     * @param weights the weights, in {@code manager}
     * @param tokenizer the tokenizer, closed by the model, or null
     * @param template the example layout the folder declares ({@link #template()})
     */
    public T5Model(
            NDManager manager,
            T5Weights weights,
            @Nullable T5Tokenizer tokenizer,
            ExampleTemplate template) {
        this.template = Objects.requireNonNull(template, "template");
        this.manager = Objects.requireNonNull(manager, "manager");
        this.weights = Objects.requireNonNull(weights, "weights");
        this.forward = new T5Forward(weights);
        Map<String, NDArray> targets = new LinkedHashMap<>();
        for (String module : T5Weights.linearModules(weights.config()).keySet()) {
            targets.put(module, weights.get(module + ".weight"));
        }
        this.targets = targets;
        this.lora = new InPlaceLora(targets, manager, weights.config().modelType() + " model");
        this.candidates =
                new CandidateEvaluator<>(
                        lora,
                        manager,
                        this::baseLoss,
                        this::branchedLosses,
                        b -> b.size() * Math.max(b.sourceLength(), b.targetLength()),
                        AUTO_CANDIDATES_PER_FORWARD);
        this.tokenizer = tokenizer;
    }

    /**
     * Loads {@code config.json}, the weights ({@code model.safetensors} or shards; F32, F16 or
     * BF16, converted to float32), when present {@code tokenizer.json}, and the example layout the
     * folder declares ({@link DeclaredTemplate}).
     *
     * @param dir the model folder
     * @return the model, to be closed
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException naming the file and key or tensor when the folder is not a T5
     *     model (unknown {@code model_type}, missing tensor, shape mismatch)
     */
    public static T5Model load(Path dir) throws IOException {
        return load(dir, WeightDtype.F32);
    }

    /**
     * As {@link #load(Path)}, keeping the weight matrices in {@code dtype} (norms stay float32).
     *
     * @param dir the model folder
     * @param dtype how to keep the weight matrices
     * @return the model, to be closed
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException as {@link #load(Path)}, or for a value float16 cannot hold
     */
    public static T5Model load(Path dir, WeightDtype dtype) throws IOException {
        T5Config config = T5Config.read(dir.resolve("config.json"));
        DjlRuntime.start();
        NDManager manager = NDManager.newBaseManager();
        T5Tokenizer tokenizer = null;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            T5Weights weights = T5Weights.load(config, checkpoint, manager, dtype);
            Path tokenizerJson = dir.resolve("tokenizer.json");
            if (Files.isRegularFile(tokenizerJson)) {
                tokenizer = T5Tokenizer.load(tokenizerJson, config.eosTokenId());
            }
            return new T5Model(manager, weights, tokenizer, DeclaredTemplate.read(dir));
        } catch (IOException | RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    /**
     * @return the config
     */
    public T5Config config() {
        return weights.config();
    }

    /**
     * @return the weights; patched in place while an adapter is applied
     */
    public T5Weights weights() {
        return weights;
    }

    /**
     * A forward pass that adds LoRA factors as separate NDArrays, {@code y = W x + s * B (A x)},
     * differentiable in them (for training); it does not patch the weights.
     *
     * @param factors LoRA factors by module path
     * @return the forward pass
     */
    public T5Forward forward(Map<String, LoraPair> factors) {
        return new T5Forward(weights, factors);
    }

    @Override
    public String modelType() {
        return weights.config().modelType();
    }

    @Override
    public Map<String, LinearShape> linearModules() {
        return T5Weights.linearModules(weights.config());
    }

    @Override
    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    @Override
    public ExampleTemplate template() {
        return template;
    }

    /**
     * Text examples become encoder ids {@code tokenize(input) + [EOS]} and labels {@code
     * tokenize(output) + [EOS]}; pre-tokenized examples are taken as they are (HF seq2seq
     * semantics: labels are the decoder targets, {@code -100} ignored).
     */
    @Override
    public T5Batch encode(List<FewShotExample> examples) {
        return lora.locked("encode examples", () -> encodeUnlocked(examples));
    }

    private T5Batch encodeUnlocked(List<FewShotExample> examples) {
        List<int[]> inputs = new ArrayList<>();
        List<int[]> labels = new ArrayList<>();
        for (FewShotExample ex : examples) {
            if (ex.isTokenized()) {
                inputs.add(ex.inputIds().orElseThrow());
                labels.add(ex.labels().orElseThrow());
            } else {
                if (tokenizer == null) {
                    throw new IllegalArgumentException(
                            "text example "
                                    + ex
                                    + " given, but this T5 model has no tokenizer.json");
                }
                inputs.add(tokenizer.encode(ex.input().orElseThrow(), true));
                labels.add(tokenizer.encode(ex.output().orElseThrow(), true));
            }
        }
        return new T5Batch(inputs, labels, weights.config());
    }

    /** As {@link #adapterMode()} says: in place, side branches, or (default) the cheaper per batch. */
    @Override
    public double loss(LoraModule adapter, EncodedBatch batch) {
        return candidates.loss(adapter, asT5(batch));
    }

    /**
     * Evaluates the candidates in forwards of up to {@link #candidatesPerForward()} each (by
     * default up to {@link #AUTO_CANDIDATES_PER_FORWARD} where {@link AdapterMode#AUTO} takes side
     * branches, else one forward per candidate, as {@link #loss}); with more than one, the batch is repeated once per
     * candidate, each copy with its own side branch ({@link CandidateBranches}), and the base
     * weights are not patched. Each loss equals {@link #loss} of that candidate within float
     * rounding (docs/scale.md, "Candidates in batches").
     */
    @Override
    public double[] losses(List<LoraModule> adapters, EncodedBatch batch) {
        return candidates.losses(adapters, asT5(batch));
    }

    @Override
    public double[] lossesInOneForward(List<LoraModule> adapters, EncodedBatch batch) {
        return candidates.inOneForward(adapters, asT5(batch));
    }

    @Override
    public int candidatesPerForward() {
        return candidates.candidatesPerForward();
    }

    @Override
    public T5Model candidatesPerForward(int n) {
        candidates.candidatesPerForward(n);
        return this;
    }

    @Override
    public AdapterMode adapterMode() {
        return candidates.adapterMode();
    }

    @Override
    public T5Model adapterMode(AdapterMode mode) {
        candidates.adapterMode(mode);
        return this;
    }

    @Override
    public long keptBytes() {
        return lora.keptBytes();
    }

    /** The batch repeated once per candidate, each copy with its side branches. */
    private float[] branchedLosses(
            T5Batch b, Map<String, SideBranch> branches, int n, NDManager m) {
        NDArray logits =
                new T5Forward(weights, branches)
                        .logits(
                                CandidateBranches.repeatRows(b.inputIds(m), n),
                                CandidateBranches.repeatRows(b.maskBias(m), n),
                                CandidateBranches.repeatRows(b.decoderInputIds(m), n));
        // rows of candidate c are c * B .. c * B + B - 1: one row of [B * T] labels each
        NDArray[] parts =
                CrossEntropy.rowSumsAndCounts(
                        logits.reshape(n, -1, logits.getShape().get(2)),
                        CandidateBranches.repeatRows(b.labels(m), n).reshape(n, -1));
        return parts[0].div(parts[1]).toFloatArray();
    }

    /**
     * One forward and one backward pass ({@link WeightGradients}) with the adapter applied in
     * place; the base weights are restored bit-exactly afterwards, as by {@link #loss}.
     */
    @Override
    public LossGradient lossGradient(
            LoraModule adapter, EncodedBatch batch, Set<String> modulePaths) {
        T5Batch b = asT5(batch);
        return lora.with(
                adapter,
                () ->
                        WeightGradients.of(
                                targets,
                                modulePaths,
                                manager,
                                m ->
                                        CrossEntropy.aligned(
                                                forward.logits(
                                                        b.inputIds(m),
                                                        b.maskBias(m),
                                                        b.decoderInputIds(m)),
                                                b.labels(m))));
    }

    /**
     * The teacher-forced logits with the adapter applied (restored afterwards).
     *
     * @param adapter the adapter; a module without layers means the base model
     * @param batch a batch from {@link #encode(List)}
     * @return logits {@code [batch, target, vocab]} row-major
     */
    public float[] logits(LoraModule adapter, T5Batch batch) {
        return lora.with(
                adapter,
                () -> {
                    try (NDManager m = manager.newSubManager()) {
                        return forward.logits(
                                        batch.inputIds(m),
                                        batch.maskBias(m),
                                        batch.decoderInputIds(m))
                                .toFloatArray();
                    }
                });
    }

    private double baseLoss(T5Batch b) {
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = forward.logits(b.inputIds(m), b.maskBias(m), b.decoderInputIds(m));
            return CrossEntropy.aligned(logits, b.labels(m)).getFloat();
        }
    }

    @Override
    public List<int[]> generate(
            LoraModule adapter, List<int[]> promptIds, GenerationConfig config) {
        return lora.with(
                adapter, () -> new T5Generator(forward).generate(manager, promptIds, config));
    }

    private static T5Batch asT5(EncodedBatch batch) {
        if (batch instanceof T5Batch b) {
            return b;
        }
        throw new IllegalArgumentException(
                "batch " + batch.getClass().getName() + " was not made by a T5 model's encode()");
    }

    /**
     * Waits for the call in progress, restores any applied adapter and frees the weights and the
     * tokenizer. Later calls throw {@link dev.lorahub.spi.ModelClosedException}. Idempotent.
     */
    @Override
    public void close() {
        if (lora.isClosed()) {
            return;
        }
        lora.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
    }
}
