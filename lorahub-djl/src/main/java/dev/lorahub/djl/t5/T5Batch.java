package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.FewShotExample;
import dev.lorahub.djl.internal.TokenIds;
import dev.lorahub.spi.EncodedBatch;
import java.util.List;

/**
 * Few-shot examples laid out for a T5 forward pass, held as Java arrays (no native memory), so that
 * every evaluation creates its NDArrays in its own sub-manager.
 *
 * <p>Encoder inputs are right-padded with the pad id and masked; labels are right-padded with
 * {@code -100}; decoder inputs are HF's {@code _shift_right(labels)}: the decoder start id, then
 * the labels without the last one, with {@code -100} replaced by the pad id.
 */
public final class T5Batch implements EncodedBatch {
    private final int size;
    private final int sourceLength;
    private final int targetLength;
    private final long[] inputIds;
    private final int[] mask;
    private final long[] labels;
    private final long[] decoderInputIds;
    private final int labelledTokens;

    /**
     * @param inputs encoder ids per example (at least one id each)
     * @param targets labels per example (at least one each; {@code -100} ignored)
     * @param config the model config (pad and decoder start ids)
     */
    public T5Batch(List<int[]> inputs, List<int[]> targets, T5Config config) {
        if (inputs.isEmpty() || inputs.size() != targets.size()) {
            throw new IllegalArgumentException(
                    "need as many inputs as targets and at least one, got "
                            + inputs.size()
                            + " inputs and "
                            + targets.size()
                            + " targets");
        }
        size = inputs.size();
        sourceLength = inputs.stream().mapToInt(a -> a.length).max().orElse(0);
        targetLength = targets.stream().mapToInt(a -> a.length).max().orElse(0);
        inputIds = new long[size * sourceLength];
        mask = new int[size * sourceLength];
        labels = new long[size * targetLength];
        decoderInputIds = new long[size * targetLength];
        int counted = 0;
        for (int b = 0; b < size; b++) {
            int[] in = inputs.get(b);
            int[] out = targets.get(b);
            TokenIds.requireInVocab(in, config.vocabSize(), "input ids of example " + b);
            TokenIds.requireLabelsInVocab(out, config.vocabSize(), "labels of example " + b);
            if (in.length == 0 || out.length == 0) {
                throw new IllegalArgumentException(
                        "example "
                                + b
                                + " has "
                                + in.length
                                + " input ids and "
                                + out.length
                                + " labels; both must be non-empty");
            }
            for (int s = 0; s < sourceLength; s++) {
                boolean real = s < in.length;
                inputIds[b * sourceLength + s] =
                        real ? checkId(in[s], config, b) : config.padTokenId();
                mask[b * sourceLength + s] = real ? 1 : 0;
            }
            for (int t = 0; t < targetLength; t++) {
                int label = t < out.length ? out[t] : FewShotExample.IGNORE_INDEX;
                if (label != FewShotExample.IGNORE_INDEX) {
                    checkId(label, config, b);
                    counted++;
                }
                labels[b * targetLength + t] = label;
                int previous =
                        t == 0
                                ? config.decoderStartTokenId()
                                : (int) labels[b * targetLength + t - 1];
                decoderInputIds[b * targetLength + t] =
                        previous == FewShotExample.IGNORE_INDEX ? config.padTokenId() : previous;
            }
        }
        labelledTokens = counted;
    }

    /**
     * The encoder side only, for generation (the targets are a placeholder EOS per row).
     *
     * @param prompts encoder ids per row, unpadded, non-empty
     * @param config the model config
     * @return the padded, masked layout
     */
    static T5Batch ofPrompts(List<int[]> prompts, T5Config config) {
        List<int[]> placeholders = new java.util.ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            placeholders.add(new int[] {config.eosTokenId()});
        }
        return new T5Batch(prompts, placeholders, config);
    }

    private static int checkId(int id, T5Config config, int example) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new IllegalArgumentException(
                    "example "
                            + example
                            + ": token id "
                            + id
                            + " is outside the vocabulary of "
                            + config.vocabSize());
        }
        return id;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int labelledTokens() {
        return labelledTokens;
    }

    /**
     * @return the padded source length
     */
    public int sourceLength() {
        return sourceLength;
    }

    /**
     * @return the padded target length
     */
    public int targetLength() {
        return targetLength;
    }

    /**
     * @return encoder ids {@code [batch, source]} int64 in {@code m}
     */
    NDArray inputIds(NDManager m) {
        return m.create(inputIds, new Shape(size, sourceLength));
    }

    /**
     * @return the encoder's additive mask {@code [batch, 1, 1, source]} in {@code m}
     */
    NDArray maskBias(NDManager m) {
        return T5Forward.maskBias(m, mask, size, sourceLength);
    }

    /**
     * @return labels {@code [batch, target]} int64 in {@code m}, {@code -100} where ignored
     */
    NDArray labels(NDManager m) {
        return m.create(labels, new Shape(size, targetLength));
    }

    /**
     * @return decoder inputs {@code [batch, target]} int64 in {@code m}
     */
    NDArray decoderInputIds(NDManager m) {
        return m.create(decoderInputIds, new Shape(size, targetLength));
    }

    /** Holds no native memory; nothing to free. */
    @Override
    public void close() {}
}
