package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.FewShotExample;
import java.util.List;

/** Lays out pre-tokenized causal-LM examples as right-padded {@code [B, T]} int64 arrays. */
final class Batches {
    private Batches() {}

    /**
     * @param examples pre-tokenized examples, labels aligned with ids
     * @param padId the id padding the inputs (labels are padded with -100)
     * @param manager where the two arrays live
     * @return {@code {inputIds, labels}}, both {@code [B, maxLen]} int64
     */
    static NDArray[] collate(List<FewShotExample> examples, int padId, NDManager manager) {
        int b = examples.size();
        int len = 0;
        for (FewShotExample e : examples) {
            if (!e.isTokenized()) {
                throw new IllegalArgumentException("training needs pre-tokenized examples: " + e);
            }
            len = Math.max(len, e.inputIds().orElseThrow().length);
        }
        long[] ids = new long[b * len];
        long[] labels = new long[b * len];
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(labels, FewShotExample.IGNORE_INDEX);
        for (int i = 0; i < b; i++) {
            int[] in = examples.get(i).inputIds().orElseThrow();
            int[] lab = examples.get(i).labels().orElseThrow();
            if (lab.length != in.length) {
                throw new IllegalArgumentException(
                        "example " + i + ": " + in.length + " ids but " + lab.length + " labels");
            }
            for (int j = 0; j < in.length; j++) {
                ids[i * len + j] = in[j];
                labels[i * len + j] = lab[j];
            }
        }
        Shape shape = new Shape(b, len);
        return new NDArray[] {manager.create(ids, shape), manager.create(labels, shape)};
    }
}
