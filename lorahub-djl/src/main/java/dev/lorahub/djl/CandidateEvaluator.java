package dev.lorahub.djl;

import ai.djl.ndarray.NDManager;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.train.SideBranch;
import dev.lorahub.spi.EncodedBatch;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The candidate plumbing the DJL models share ({@code LlamaBaseModel}, {@code T5Model}): one
 * candidate's loss either with the adapter applied in place ({@link InPlaceLora}) or with side
 * branches ({@link AdapterMode}, {@link #adapterMode(AdapterMode)}), several candidates in one
 * forward with candidate-indexed side branches ({@link CandidateBranches}), and the choice between
 * them per call of {@code losses} ({@link #candidatesPerForward(int)}). The model supplies its two
 * forwards; this class holds the locking and the grouping.
 *
 * <p>Threads: safe to share; every forward runs under the {@link InPlaceLora}'s lock (see there),
 * so a branched forward never sees weights patched by another thread's in-place call; the settings
 * are volatile, seen by calls that start after they are set.
 *
 * @param <B> the model's encoded batch type
 */
public final class CandidateEvaluator<B extends EncodedBatch> {
    /**
     * {@link #candidatesPerForward()} by default: 1, one in-place forward per candidate, because
     * the batched forward measured no faster on CPU (docs/scale.md, "Candidates in batches").
     */
    public static final int DEFAULT_CANDIDATES_PER_FORWARD = 1;

    /**
     * {@link #adapterMode()} by default: {@link AdapterMode#IN_PLACE}, as before the branch mode
     * existed. {@link AdapterMode#BRANCH} keeps no copies of the targeted weights (0.41 GB less peak
     * resident memory on flan-t5-large) and measured no slower under load (docs/scale.md, "Peak
     * resident memory"); it becomes the default once the CLI's tests have run with it.
     */
    public static final AdapterMode DEFAULT_ADAPTER_MODE = AdapterMode.IN_PLACE;

    /** The loss of a batch under whatever adapter is applied in place, in its own sub-manager. */
    @FunctionalInterface
    public interface PlainForward<B> {
        /**
         * @param batch the encoded batch
         * @return the token-mean loss
         */
        double loss(B batch);
    }

    /** One forward over the batch repeated once per candidate, each copy with its branches. */
    @FunctionalInterface
    public interface BranchedForward<B> {
        /**
         * @param batch the encoded batch, to be repeated {@code copies} times candidate-major
         *     ({@link CandidateBranches#repeatRows})
         * @param branches the candidates' stacked side branches by module path
         * @param copies the number of candidates
         * @param call the per-call manager (closed afterwards by the caller)
         * @return one token-mean loss per copy
         */
        float[] losses(B batch, Map<String, SideBranch> branches, int copies, NDManager call);
    }

    private final InPlaceLora lora;
    private final NDManager manager;
    private final PlainForward<B> plain;
    private final BranchedForward<B> branched;
    private volatile int candidatesPerForward = DEFAULT_CANDIDATES_PER_FORWARD;
    private volatile AdapterMode adapterMode = DEFAULT_ADAPTER_MODE;

    /**
     * @param lora the model's in-place patcher (its lock guards every forward)
     * @param manager the model's manager; each batched forward runs in a sub-manager of it
     * @param plain the model's forward under whatever is applied
     * @param branched the model's forward over repeated copies with side branches
     */
    public CandidateEvaluator(
            InPlaceLora lora,
            NDManager manager,
            PlainForward<B> plain,
            BranchedForward<B> branched) {
        this.lora = Objects.requireNonNull(lora, "lora");
        this.manager = Objects.requireNonNull(manager, "manager");
        this.plain = Objects.requireNonNull(plain, "plain");
        this.branched = Objects.requireNonNull(branched, "branched");
    }

    /**
     * @param adapter the candidate; a module without layers means the base model
     * @param batch the encoded batch
     * @return its loss: in {@link AdapterMode#IN_PLACE} with the adapter applied in place and
     *     restored afterwards, in {@link AdapterMode#BRANCH} with side branches (a forward of one
     *     candidate, {@link #inOneForward})
     */
    public double loss(LoraModule adapter, B batch) {
        if (adapterMode == AdapterMode.BRANCH) {
            return inOneForward(List.of(adapter), batch)[0];
        }
        return lora.with(adapter, () -> plain.loss(batch));
    }

    /**
     * Consecutive candidates in forwards of up to {@link #candidatesPerForward()} ({@link
     * CandidateBranches#losses}); a group of one through {@link #loss}.
     *
     * @param adapters the candidates
     * @param batch the encoded batch
     * @return one loss per candidate, in order
     */
    public double[] losses(List<LoraModule> adapters, B batch) {
        return CandidateBranches.losses(
                adapters,
                candidatesPerForward,
                group -> inOneForward(group, batch),
                (ToDoubleFunction<LoraModule>) adapter -> loss(adapter, batch));
    }

    /**
     * All candidates in one forward, whatever their number, the base weights untouched.
     *
     * @param adapters the candidates; modules without layers mean the base model
     * @param batch the encoded batch
     * @return one loss per candidate, in order
     * @throws IllegalArgumentException if a candidate targets a module the model lacks, or shapes
     *     differ
     */
    public double[] inOneForward(List<LoraModule> adapters, B batch) {
        if (adapters.isEmpty()) {
            return new double[0];
        }
        return lora.locked("evaluate candidates", () -> branchedLocked(adapters, batch));
    }

    private double[] branchedLocked(List<LoraModule> group, B batch) {
        for (LoraModule adapter : group) {
            lora.validate(adapter);
        }
        int n = group.size();
        try (NDManager call = manager.newSubManager()) {
            float[] losses =
                    branched.losses(
                            batch, CandidateBranches.of(group, lora.shapes(), call), n, call);
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = losses[i];
            }
            return out;
        }
    }

    /**
     * @return the most candidates {@link #losses} puts in one forward (1: one forward each, as
     *     {@link #loss})
     */
    public int candidatesPerForward() {
        return candidatesPerForward;
    }

    /**
     * @param n at least 1; 1 evaluates one candidate per forward, as {@link #loss}
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public void candidatesPerForward(int n) {
        candidatesPerForward = CandidateBranches.requirePerForward(n);
    }

    /**
     * @return how {@link #loss} (and {@link #losses} for a group of one) applies an adapter
     */
    public AdapterMode adapterMode() {
        return adapterMode;
    }

    /**
     * @param mode how {@link #loss} (and {@link #losses} for a group of one) applies an adapter
     */
    public void adapterMode(AdapterMode mode) {
        adapterMode = Objects.requireNonNull(mode, "mode");
    }
}
