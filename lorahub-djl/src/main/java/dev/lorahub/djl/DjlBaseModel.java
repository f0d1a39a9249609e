package dev.lorahub.djl;

import dev.lorahub.LoraModule;
import dev.lorahub.spi.DifferentiableModel;
import dev.lorahub.spi.EncodedBatch;
import java.util.List;

/**
 * A base model of the DJL backend ({@code LlamaBaseModel}, {@code T5Model}): the settings of how
 * it evaluates adapters, beyond {@link dev.lorahub.model.BaseModel}'s contract. The plumbing is
 * {@link CandidateEvaluator}'s.
 */
public interface DjlBaseModel extends DifferentiableModel {
    /**
     * @return how {@code loss} applies an adapter (default {@link
     *     CandidateEvaluator#DEFAULT_ADAPTER_MODE})
     */
    AdapterMode adapterMode();

    /**
     * Sets how {@code loss} (and {@code losses}, one candidate per forward) applies an adapter;
     * safe to call from any thread, seen by calls that start afterwards. {@code generate}, {@code
     * logits} and {@code lossGradient} always apply it in place.
     *
     * @param mode {@link AdapterMode#AUTO} (the default), {@link AdapterMode#IN_PLACE} or {@link
     *     AdapterMode#BRANCH}
     * @return this model
     */
    DjlBaseModel adapterMode(AdapterMode mode);

    /**
     * @return the most candidates {@code losses} puts in one forward, or 0 (the default, {@link
     *     CandidateEvaluator#DEFAULT_CANDIDATES_PER_FORWARD}): the model family's automatic group
     *     size where {@link AdapterMode#AUTO} takes side branches (8 for T5, 1 for LLaMA), else one
     */
    int candidatesPerForward();

    /**
     * Sets how many candidates {@code losses} evaluates in one forward; safe to call from any
     * thread, seen by calls that start afterwards.
     *
     * @param n 0 for automatic (the default), or the most candidates per forward: 1 evaluates
     *     one candidate per forward, as {@code loss}
     * @return this model
     * @throws IllegalArgumentException if {@code n < 0}
     */
    DjlBaseModel candidatesPerForward(int n);

    /**
     * Evaluates all candidates in one forward, whatever their number: the batch repeated once per
     * candidate, each copy with its own side branch ({@link CandidateBranches}), the base weights
     * untouched. What {@code losses} does for each group; public for benchmarks and for tests that
     * compare it with {@code loss}.
     *
     * @param adapters the candidates; modules without layers mean the base model
     * @param batch a batch from this model's {@code encode}
     * @return one loss per candidate, in order
     * @throws IllegalArgumentException if a candidate targets a module the model lacks, shapes
     *     differ, or the batch is another model's
     */
    double[] lossesInOneForward(List<LoraModule> adapters, EncodedBatch batch);

    /**
     * @return the bytes of original weights kept for in-place restores ({@link
     *     InPlaceLora#keptBytes()}): native memory beyond the model's own weights; 0 as long as
     *     every adapter went through side branches
     */
    long keptBytes();
}
