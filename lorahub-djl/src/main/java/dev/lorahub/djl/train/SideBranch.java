package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;

/**
 * A low-rank term a forward adds to the output of one frozen linear layer: {@code y = x W^T +
 * branch(x)}. {@link LoraPair} is the trainable one (one adapter for every row); {@link
 * dev.lorahub.djl.CandidateBranches} gives each group of rows its own candidate adapter, so that
 * one forward evaluates several candidates.
 */
public interface SideBranch {
    /**
     * @param x the layer input, {@code [..., in]}
     * @return the term to add to the layer's output, {@code [..., out]}, in the manager of {@code
     *     x}
     */
    NDArray branch(NDArray x);

    /**
     * @return the input width {@code in} the branch expects
     */
    long inFeatures();

    /**
     * @return the output width {@code out} the branch produces
     */
    long outFeatures();
}
