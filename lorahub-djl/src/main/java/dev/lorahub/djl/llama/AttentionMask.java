package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.jspecify.annotations.Nullable;

/**
 * The additive attention mask of HF's eager LLaMA attention: 0 where query slot {@code p = past +
 * i} may attend key slot {@code j} ({@code j <= p}, {@code j > p - W} under a sliding window W, and
 * the key's attention mask is 1), {@code -Float.MAX_VALUE} (HF's {@code finfo.min}) elsewhere.
 * Slots, not positions: as in transformers 4.36 Mistral ({@code _make_causal_mask} with {@code
 * sliding_window}), left padding counts against the window. Built in Java, made in the call's
 * manager.
 */
final class AttentionMask {
    private AttentionMask() {}

    /**
     * {@code [B, 1, T, past + T]}: 0 where allowed, -MAX where the key is future, padding or (with
     * {@code window > 0}) {@code window} or more slots back.
     */
    static NDArray additive(
            NDManager m, @Nullable NDArray attentionMask, int b, int t, int past, int window) {
        int keys = past + t;
        int[] keep = null;
        if (attentionMask != null) {
            if (attentionMask.getShape().get(0) != b || attentionMask.getShape().get(1) != keys) {
                throw new IllegalArgumentException(
                        "attention mask is "
                                + attentionMask.getShape()
                                + ", expected ("
                                + b
                                + ", "
                                + keys
                                + ")");
            }
            keep = attentionMask.toType(DataType.INT32, false).toIntArray();
        }
        int rows = keep == null ? 1 : b;
        float[] mask = new float[rows * t * keys];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < keys; j++) {
                    int p = past + i;
                    boolean allowed =
                            j <= p
                                    && (window < 1 || j > p - window)
                                    && (keep == null || keep[r * keys + j] != 0);
                    mask[(r * t + i) * keys + j] = allowed ? 0f : -Float.MAX_VALUE;
                }
            }
        }
        return m.create(mask, new Shape(rows, 1, t, keys));
    }
}
