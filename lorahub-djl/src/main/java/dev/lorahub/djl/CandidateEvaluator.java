package dev.lorahub.djl;

import ai.djl.ndarray.NDManager;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.train.SideBranch;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;

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
     * {@link #candidatesPerForward()} by default: 0, automatic. {@link #losses} then puts up to the
     * model family's automatic group size (a constructor argument) in one forward when the mode is
     * {@link AdapterMode#AUTO} and it takes side branches for the first candidate, else one per
     * forward.
     */
    public static final int DEFAULT_CANDIDATES_PER_FORWARD = 0;

    /**
     * {@link #adapterMode()} by default: {@link AdapterMode#AUTO}. On flan-t5-large side branches
     * took 0.93x the in-place time per candidate and 0.41 GB less peak resident memory; on the
     * embedded hub's 96-wide model they cost more than patching (docs/scale.md), and AUTO picks
     * each.
     */
    public static final AdapterMode DEFAULT_ADAPTER_MODE = AdapterMode.AUTO;

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
    private final ToIntFunction<B> tokens;
    private final int autoPerForward;
    private volatile int candidatesPerForward = DEFAULT_CANDIDATES_PER_FORWARD;
    private volatile AdapterMode adapterMode = DEFAULT_ADAPTER_MODE;

    /**
     * @param lora the model's in-place patcher (its lock guards every forward)
     * @param manager the model's manager; each batched forward runs in a sub-manager of it
     * @param plain the model's forward under whatever is applied
     * @param branched the model's forward over repeated copies with side branches
     * @param tokens the most rows a targeted linear sees in a batch (rows x padded length; for an
     *     encoder-decoder the larger side), for {@link AdapterMode#AUTO}
     * @param autoPerForward the group size of the automatic setting where AUTO takes branches, as
     *     measured for the model family (docs/scale.md, "Candidates in batches")
     */
    public CandidateEvaluator(
            InPlaceLora lora,
            NDManager manager,
            PlainForward<B> plain,
            BranchedForward<B> branched,
            ToIntFunction<B> tokens,
            int autoPerForward) {
        this.lora = Objects.requireNonNull(lora, "lora");
        this.manager = Objects.requireNonNull(manager, "manager");
        this.plain = Objects.requireNonNull(plain, "plain");
        this.branched = Objects.requireNonNull(branched, "branched");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.autoPerForward = CandidateBranches.requirePerForward(autoPerForward);
    }

    /**
     * @param adapter the candidate; a module without layers means the base model
     * @param batch the encoded batch
     * @return its loss: in {@link AdapterMode#IN_PLACE} with the adapter applied in place and
     *     restored afterwards, in {@link AdapterMode#BRANCH} with side branches (a forward of one
     *     candidate, {@link #inOneForward}), in {@link AdapterMode#AUTO} as {@link #modeFor} says
     */
    public double loss(LoraModule adapter, B batch) {
        if (modeFor(adapter, batch) == AdapterMode.BRANCH) {
            return inOneForward(List.of(adapter), batch)[0];
        }
        return lora.with(adapter, () -> plain.loss(batch));
    }

    /**
     * @param adapter a candidate
     * @param batch the encoded batch
     * @return the mode {@link #loss} uses for them: {@link #adapterMode()} unless that is {@link
     *     AdapterMode#AUTO}, which takes {@link AdapterMode#BRANCH} when {@code tokens x (in +
     *     out)} summed over the adapter's layers is at most {@code in x out} summed likewise, else
     *     {@link AdapterMode#IN_PLACE} (a module without layers: in place, which is then a no-op)
     */
    public AdapterMode modeFor(LoraModule adapter, B batch) {
        AdapterMode mode = adapterMode;
        if (mode != AdapterMode.AUTO) {
            return mode;
        }
        List<LinearShape> shapes = new ArrayList<>();
        for (String path : adapter.layers().keySet()) {
            LinearShape shape = lora.shapes().get(path);
            if (shape == null) {
                return AdapterMode.IN_PLACE; // lora.with names the unknown module
            }
            shapes.add(shape);
        }
        return cheaper(tokens.applyAsInt(batch), shapes);
    }

    /**
     * {@link AdapterMode#AUTO}'s rule.
     *
     * @param tokens the most rows a targeted linear sees
     * @param shapes the targeted linears' shapes
     * @return {@link AdapterMode#BRANCH} when {@code tokens x (in + out)} summed over the shapes
     *     is at most {@code in x out} summed likewise, else {@link AdapterMode#IN_PLACE} (also for
     *     no shapes)
     */
    static AdapterMode cheaper(long tokens, List<LinearShape> shapes) {
        long branch = 0;
        long inPlace = 0;
        for (LinearShape shape : shapes) {
            branch += tokens * (shape.inFeatures() + (long) shape.outFeatures());
            inPlace += (long) shape.inFeatures() * shape.outFeatures();
        }
        return inPlace > 0 && branch <= inPlace ? AdapterMode.BRANCH : AdapterMode.IN_PLACE;
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
        int perForward = candidatesPerForward;
        if (perForward == 0) {
            perForward =
                    adapterMode == AdapterMode.AUTO
                                    && !adapters.isEmpty()
                                    && modeFor(adapters.get(0), batch) == AdapterMode.BRANCH
                            ? autoPerForward
                            : 1;
        }
        return CandidateBranches.losses(
                adapters,
                perForward,
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
     *     {@link #loss}), or 0: automatic (see {@link #DEFAULT_CANDIDATES_PER_FORWARD})
     */
    public int candidatesPerForward() {
        return candidatesPerForward;
    }

    /**
     * @param n 0 for automatic ({@link #DEFAULT_CANDIDATES_PER_FORWARD}), or the most candidates
     *     per forward: 1 evaluates one candidate per forward, as {@link #loss}
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public void candidatesPerForward(int n) {
        if (n < 0) {
            throw new IllegalArgumentException(
                    "candidates per forward must be 0 (automatic) or at least 1, got " + n);
        }
        candidatesPerForward = n;
    }

    /**
     * @return how {@link #loss} (and {@link #losses} for a group of one) applies an adapter
     *     ({@link #DEFAULT_ADAPTER_MODE} unless set)
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
