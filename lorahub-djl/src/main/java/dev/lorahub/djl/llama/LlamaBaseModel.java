package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.CandidateBranches;
import dev.lorahub.djl.AdapterMode;
import dev.lorahub.djl.CandidateEvaluator;
import dev.lorahub.djl.DjlBaseModel;
import dev.lorahub.djl.InPlaceLora;
import dev.lorahub.djl.internal.TokenIds;
import dev.lorahub.djl.train.SideBranch;
import dev.lorahub.djl.train.WeightGradients;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.LossGradient;
import dev.lorahub.spi.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A LLaMA-family causal LM serving the LoraHub objective and generation, every evaluation in a
 * sub-manager that is closed. {@link #loss} applies the adapter in place ({@link
 * AdapterMode#IN_PLACE}), as {@link #generate} and {@link #lossGradient} always do, through {@link
 * InPlaceLora} (extra memory: one copy of each matrix an adapter has targeted, kept from its first
 * use until {@link #close()}), or adds each targeted linear's adapter as a side branch ({@link
 * AdapterMode#BRANCH}), the base weights never written; by default ({@link AdapterMode#AUTO}) per
 * loss, whichever costs fewer operations for the batch.
 *
 * <p>Encoding of a text example {@code (input, output)}, already laid out by a template ({@link
 * #template()}; {@link #encode(List)} does not apply it): {@code ids = encode(input, BOS) +
 * encode(output, no specials) + [EOS]} (EOS when the model has one), {@code labels} = ids with
 * {@code -100} on the prompt; a pre-tokenized example is taken as is (labels aligned with ids, HF
 * semantics). Rows are right-padded with the pad id (else EOS, else 0), mask 0 and label -100
 * there. The loss is HF's {@code LlamaForCausalLM} loss: logits[t] scored against labels[t + 1],
 * token-mean over the batch.
 *
 * <p>Threads: safe to share. {@link #loss}, {@link #losses}, {@link #lossGradient}, {@link
 * #generate}, {@link #generatePadded}, {@link #logits} and {@link #encode} hold one lock per model
 * while they patch, run and restore (see {@link InPlaceLora}), so calls from several threads run
 * one after another, each on the base weights plus its own adapter, with the same result as alone
 * (bit for bit).
 * Sharing gives no parallel speed-up; for throughput across cores load one model per worker, each
 * costing the model's memory again (docs/reliability.md). {@link #close()} waits for the call in
 * progress; any call after it throws {@link dev.lorahub.spi.ModelClosedException}. {@link #model()}
 * gives the unguarded model: whoever uses it directly serialises on their own.
 */
public final class LlamaBaseModel implements DjlBaseModel {
    /**
     * {@link #candidatesPerForward()} by default: {@link
     * CandidateEvaluator#DEFAULT_CANDIDATES_PER_FORWARD}.
     */
    public static final int DEFAULT_CANDIDATES_PER_FORWARD =
            CandidateEvaluator.DEFAULT_CANDIDATES_PER_FORWARD;

    /**
     * The automatic group size where AUTO takes side branches: 1, one forward per candidate. On
     * llama-1b (2 threads, quiet machine) a forward of 4 candidates took 1.27x the in-place time
     * per candidate (docs/scale.md, "Candidates in batches").
     */
    public static final int AUTO_CANDIDATES_PER_FORWARD = 1;

    private final NDManager root;
    private final LlamaModel model;
    private final InPlaceLora lora;
    private final @Nullable TextTokenizer tokenizer;
    private final ExampleTemplate template;
    private final CandidateEvaluator<CausalBatch> candidates;

    /**
     * Takes ownership of the model and of {@code root} (closed by {@link #close()}); the example
     * layout is {@link ExampleTemplate#PLAIN}.
     *
     * @param model the loaded model, its weights under {@code root}
     * @param tokenizer its tokenizer, or null
     * @param root the manager owning everything
     */
    public LlamaBaseModel(LlamaModel model, @Nullable TextTokenizer tokenizer, NDManager root) {
        this(model, tokenizer, ExampleTemplate.PLAIN, root);
    }

    /**
     * Takes ownership of the model and of {@code root} (closed by {@link #close()}).
     *
     * @param model the loaded model, its weights under {@code root}
     * @param tokenizer its tokenizer, or null
     * @param template the example layout the model folder declares ({@link #template()})
     * @param root the manager owning everything
     */
    public LlamaBaseModel(
            LlamaModel model,
            @Nullable TextTokenizer tokenizer,
            ExampleTemplate template,
            NDManager root) {
        this.root = Objects.requireNonNull(root, "root");
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = tokenizer;
        this.template = Objects.requireNonNull(template, "template");
        this.lora =
                new InPlaceLora(model.linearWeights(), root, model.config().modelType() + " model");
        this.candidates =
                new CandidateEvaluator<>(
                        lora,
                        model.manager(),
                        this::forwardLoss,
                        this::branchedLosses,
                        b -> b.size() * b.length(),
                        AUTO_CANDIDATES_PER_FORWARD);
    }

    /**
     * @return the underlying model (for training or custom forwards)
     */
    public LlamaModel model() {
        return model;
    }

    @Override
    public String modelType() {
        return model.config().modelType();
    }

    @Override
    public Map<String, LinearShape> linearModules() {
        return lora.shapes();
    }

    @Override
    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    @Override
    public ExampleTemplate template() {
        return template;
    }

    @Override
    public EncodedBatch encode(List<FewShotExample> examples) {
        return lora.locked("encode examples", () -> encodeUnlocked(examples));
    }

    private EncodedBatch encodeUnlocked(List<FewShotExample> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to encode");
        }
        List<int[]> idRows = new ArrayList<>();
        List<int[]> labelRows = new ArrayList<>();
        int eos = model.config().eosTokenId();
        int vocab = model.config().vocabSize();
        for (FewShotExample ex : examples) {
            if (ex.isTokenized()) {
                int[] ids = ex.inputIds().orElseThrow();
                int[] labels = ex.labels().orElseThrow();
                if (ids.length != labels.length) {
                    throw new IllegalArgumentException(
                            "causal LM example: "
                                    + ids.length
                                    + " input ids but "
                                    + labels.length
                                    + " labels; they must align");
                }
                int row = idRows.size();
                TokenIds.requireInVocab(ids, vocab, "input ids of example " + row);
                TokenIds.requireLabelsInVocab(labels, vocab, "labels of example " + row);
                idRows.add(ids);
                labelRows.add(labels);
            } else {
                TextTokenizer tok =
                        tokenizer()
                                .orElseThrow(
                                        () ->
                                                new IllegalArgumentException(
                                                        "text examples need a tokenizer; this "
                                                                + modelType()
                                                                + " model has none"));
                int[] prompt = tok.encode(ex.input().orElseThrow(), true);
                int[] target = tok.encode(ex.output().orElseThrow(), false);
                int n = prompt.length + target.length + (eos >= 0 ? 1 : 0);
                int[] ids = Arrays.copyOf(prompt, n);
                System.arraycopy(target, 0, ids, prompt.length, target.length);
                if (eos >= 0) {
                    ids[n - 1] = eos;
                }
                int[] labels = ids.clone();
                Arrays.fill(labels, 0, prompt.length, FewShotExample.IGNORE_INDEX);
                idRows.add(ids);
                labelRows.add(labels);
            }
        }
        int len = idRows.stream().mapToInt(r -> r.length).max().orElseThrow();
        int b = idRows.size();
        int pad = LlamaGenerator.padId(model.config());
        int[] ids = new int[b * len];
        int[] mask = new int[b * len];
        int[] labels = new int[b * len];
        Arrays.fill(ids, pad);
        Arrays.fill(labels, FewShotExample.IGNORE_INDEX);
        for (int r = 0; r < b; r++) {
            int[] row = idRows.get(r);
            System.arraycopy(row, 0, ids, r * len, row.length);
            System.arraycopy(labelRows.get(r), 0, labels, r * len, row.length);
            Arrays.fill(mask, r * len, r * len + row.length, 1);
        }
        return new CausalBatch(b, len, ids, mask, labels);
    }

    /** As {@link #adapterMode()} says: in place, side branches, or (default) the cheaper per batch. */
    @Override
    public double loss(LoraModule adapter, EncodedBatch batch) {
        return candidates.loss(adapter, causal(batch));
    }

    /**
     * Evaluates the candidates in forwards of up to {@link #candidatesPerForward()} each (by
     * default one forward per candidate, as {@link #loss}: {@link #AUTO_CANDIDATES_PER_FORWARD});
     * with more than one, the batch is repeated once per
     * candidate, each copy with its own side branch ({@link CandidateBranches}), and the base
     * weights are not patched. Each loss equals {@link #loss} of that candidate within float
     * rounding (docs/scale.md, "Candidates in batches").
     */
    @Override
    public double[] losses(List<LoraModule> adapters, EncodedBatch batch) {
        return candidates.losses(adapters, causal(batch));
    }

    @Override
    public double[] lossesInOneForward(List<LoraModule> adapters, EncodedBatch batch) {
        return candidates.inOneForward(adapters, causal(batch));
    }

    @Override
    public int candidatesPerForward() {
        return candidates.candidatesPerForward();
    }

    @Override
    public LlamaBaseModel candidatesPerForward(int n) {
        candidates.candidatesPerForward(n);
        return this;
    }

    @Override
    public AdapterMode adapterMode() {
        return candidates.adapterMode();
    }

    @Override
    public LlamaBaseModel adapterMode(AdapterMode mode) {
        candidates.adapterMode(mode);
        return this;
    }

    @Override
    public long keptBytes() {
        return lora.keptBytes();
    }

    /** The batch repeated once per candidate, each copy with its side branches. */
    private float[] branchedLosses(
            CausalBatch cb, Map<String, SideBranch> branches, int n, NDManager call) {
        return model.causalLosses(
                        CandidateBranches.repeatRows(cb.ids(call), n),
                        CandidateBranches.repeatRows(cb.mask(call), n),
                        CandidateBranches.repeatRows(cb.labels(call), n),
                        branches,
                        n)
                .toFloatArray();
    }

    /**
     * One forward and one backward pass ({@link WeightGradients}) with the adapter applied in
     * place; the base weights are restored bit-exactly afterwards, as by {@link #loss}.
     */
    @Override
    public LossGradient lossGradient(
            LoraModule adapter, EncodedBatch batch, Set<String> modulePaths) {
        CausalBatch cb = causal(batch);
        return lora.with(
                adapter,
                () ->
                        WeightGradients.of(
                                model.linearWeights(),
                                modulePaths,
                                model.manager(),
                                call ->
                                        model.causalLoss(
                                                cb.ids(call),
                                                cb.mask(call),
                                                cb.labels(call),
                                                Map.of())));
    }

    private static CausalBatch causal(EncodedBatch batch) {
        if (!(batch instanceof CausalBatch cb)) {
            throw new IllegalArgumentException(
                    "batch " + batch.getClass().getName() + " was not encoded by a LLaMA model");
        }
        return cb;
    }

    /**
     * The loss of the batch under whatever is currently applied, without touching adapters.
     *
     * @param batch an encoded batch
     * @return the token-mean cross-entropy
     */
    double forwardLoss(CausalBatch batch) {
        try (NDManager call = model.manager().newSubManager()) {
            return model.causalLoss(batch.ids(call), batch.mask(call), batch.labels(call), Map.of())
                    .getFloat();
        }
    }

    @Override
    public List<int[]> generate(
            LoraModule adapter, List<int[]> promptIds, GenerationConfig config) {
        return lora.with(adapter, () -> LlamaGenerator.generate(model, promptIds, config));
    }

    /**
     * Generates from an already padded batch, HF-style, with the adapter applied.
     *
     * @param adapter the adapter; a module without layers means the base model
     * @param inputIds {@code [B][L]} left-padded prompts
     * @param attentionMask {@code [B][L]}
     * @param config greedy or sampling
     * @return {@code [B][L + n]} prompts and new ids (pad after EOS)
     */
    public int[][] generatePadded(
            LoraModule adapter, int[][] inputIds, int[][] attentionMask, GenerationConfig config) {
        return lora.with(
                adapter,
                () -> LlamaGenerator.generatePadded(model, inputIds, attentionMask, config));
    }

    /**
     * The logits of a batch with the adapter applied, copied to Java ({@code [B * T * V]}).
     *
     * @param adapter the adapter; a module without layers means the base model
     * @param batch an encoded batch
     * @return row-major logits
     */
    public float[] logits(LoraModule adapter, EncodedBatch batch) {
        CausalBatch cb = causal(batch);
        return lora.with(
                adapter,
                () -> {
                    try (NDManager call = model.manager().newSubManager()) {
                        return model.forward(cb.ids(call), cb.mask(call)).toFloatArray();
                    }
                });
    }

    /**
     * Waits for the call in progress, restores the base weights and frees the model, its tokenizer
     * and native memory. Later calls throw {@link dev.lorahub.spi.ModelClosedException}.
     */
    @Override
    public void close() {
        if (lora.isClosed()) {
            return;
        }
        try {
            lora.close();
            if (tokenizer instanceof AutoCloseable c) {
                c.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException("closing the tokenizer failed", e);
        } finally {
            model.close();
            root.close();
        }
    }
}
