package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.lorahub.FewShotExample;

/**
 * Hugging Face's token-mean cross-entropy, for causal and seq2seq models alike.
 *
 * <p>{@code loss = sum over positions with label != -100 of -log softmax(logits[b, t])[label[b,
 * t]], divided by the number of such positions in the whole batch} (natural log, not a mean of
 * per-sequence means). Every op uses the logits as receiver, so results live in the logits' manager
 * (the caller's per-call sub-manager), and the result is differentiable with respect to the logits.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * The seq2seq form: {@code logits[b, t]} is scored against {@code labels[b, t]}.
     *
     * @param logits {@code [B, T, V]} float32
     * @param labels {@code [B, T]} int32 or int64, {@link FewShotExample#IGNORE_INDEX} ignored
     * @return the token-mean loss, a scalar NDArray (NaN when no label counts)
     */
    public static NDArray aligned(NDArray logits, NDArray labels) {
        NDArray[] sumAndCount = sumAndCount(logits, labels);
        return sumAndCount[0].div(sumAndCount[1]);
    }

    /**
     * The causal-LM form, as {@code LlamaForCausalLM} computes it: {@code logits[b, t]} is scored
     * against {@code labels[b, t + 1]}.
     *
     * @param logits {@code [B, T, V]} float32
     * @param labels {@code [B, T]} aligned with the input ids, {@code -100} ignored
     * @return the token-mean loss, a scalar NDArray
     */
    public static NDArray causal(NDArray logits, NDArray labels) {
        long t = logits.getShape().get(1);
        NDArray shiftedLogits = logits.get(new NDIndex(":, :{}, :", t - 1));
        NDArray shiftedLabels = labels.get(logits.getManager(), new NDIndex(":, 1:"));
        return aligned(shiftedLogits, shiftedLabels);
    }

    /**
     * The two parts of the mean, for callers that accumulate over several batches.
     *
     * @param logits {@code [B, T, V]} float32
     * @param labels {@code [B, T]}, {@code -100} ignored
     * @return {@code {sum of -log p, count of labelled positions}}, scalar float32 NDArrays
     */
    public static NDArray[] sumAndCount(NDArray logits, NDArray labels) {
        NDArray[] pickedAndKept = pickedAndKept(logits, labels);
        NDArray sum = pickedAndKept[0].mul(pickedAndKept[1]).sum().neg();
        return new NDArray[] {sum, pickedAndKept[1].sum()};
    }

    /**
     * The parts of the mean of each row on its own, for one forward over several candidates whose
     * rows are the copies of one batch.
     *
     * @param logits {@code [B, T, V]} float32
     * @param labels {@code [B, T]}, {@code -100} ignored
     * @return {@code {[B] sums of -log p, [B] counts of labelled positions}}, float32 NDArrays
     */
    public static NDArray[] rowSumsAndCounts(NDArray logits, NDArray labels) {
        NDArray[] pickedAndKept = pickedAndKept(logits, labels);
        NDArray sums = pickedAndKept[0].mul(pickedAndKept[1]).sum(new int[] {1}).neg();
        return new NDArray[] {sums, pickedAndKept[1].sum(new int[] {1})};
    }

    /** {@code log p} of each label, {@code [B, T]}, and 1 where the label counts, 0 elsewhere. */
    private static NDArray[] pickedAndKept(NDArray logits, NDArray labels) {
        if (logits.getShape().dimension() != 3
                || labels.getShape().dimension() != 2
                || logits.getShape().get(0) != labels.getShape().get(0)
                || logits.getShape().get(1) != labels.getShape().get(1)) {
            throw new IllegalArgumentException(
                    "logits must be [B, T, V] and labels [B, T], got "
                            + logits.getShape()
                            + " and "
                            + labels.getShape());
        }
        // labels usually live in a long-lived batch: copy them into the logits' manager first
        NDArray longLabels = labels.toType(DataType.INT64, true);
        longLabels.attach(logits.getManager());
        NDArray keep = longLabels.neq(FewShotExample.IGNORE_INDEX);
        NDArray safe = longLabels.mul(keep.toType(DataType.INT64, false));
        NDArray logp = logits.logSoftmax(-1);
        NDArray picked = logp.gather(safe.expandDims(-1), -1).squeeze(-1);
        return new NDArray[] {picked, keep.toType(DataType.FLOAT32, false)};
    }
}
