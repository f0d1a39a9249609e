package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.FewShotExample;
import dev.lorahub.spi.EncodedBatch;

/**
 * A right-padded causal-LM batch held in Java arrays ({@code [B, T]} row-major ids, mask and
 * labels); NDArrays are made per evaluation in the caller's sub-manager, so the batch itself holds
 * no native memory.
 */
final class CausalBatch implements EncodedBatch {
    private final int rows;
    private final int length;
    private final int[] ids;
    private final int[] mask;
    private final int[] labels;
    private final int labelled;

    CausalBatch(int rows, int length, int[] ids, int[] mask, int[] labels) {
        this.rows = rows;
        this.length = length;
        this.ids = ids;
        this.mask = mask;
        this.labels = labels;
        int n = 0;
        for (int r = 0; r < rows; r++) {
            // the shifted loss never scores position 0
            for (int t = 1; t < length; t++) {
                n += labels[r * length + t] != FewShotExample.IGNORE_INDEX ? 1 : 0;
            }
        }
        this.labelled = n;
    }

    @Override
    public int size() {
        return rows;
    }

    /**
     * @return labels at positions 1.. that are not -100: the tokens the shifted loss scores
     */
    @Override
    public int labelledTokens() {
        return labelled;
    }

    int length() {
        return length;
    }

    NDArray ids(NDManager m) {
        return m.create(ids, new Shape(rows, length));
    }

    NDArray mask(NDManager m) {
        return m.create(mask, new Shape(rows, length));
    }

    NDArray labels(NDManager m) {
        return m.create(labels, new Shape(rows, length));
    }

    @Override
    public void close() {
        // Java arrays only
    }
}
