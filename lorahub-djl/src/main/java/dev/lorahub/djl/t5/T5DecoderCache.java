package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;

/**
 * What incremental decoding keeps between steps, per decoder block: the self-attention keys and
 * values of every position decoded so far ({@code [batch, heads, length, d_kv]}, grown by one
 * position per step) and the cross-attention keys and values of the encoder output ({@code [batch,
 * heads, source_length, d_kv]}, computed at the first step and reused).
 *
 * <p>The arrays live in the NDManager of the decoder inputs; closing that manager frees them.
 */
public final class T5DecoderCache {
    final NDArray[] selfKeys;
    final NDArray[] selfValues;
    final NDArray[] crossKeys;
    final NDArray[] crossValues;
    int length;

    /**
     * @param decoderLayers the number of decoder blocks
     */
    public T5DecoderCache(int decoderLayers) {
        if (decoderLayers < 1) {
            throw new IllegalArgumentException("decoderLayers must be >= 1, got " + decoderLayers);
        }
        selfKeys = new NDArray[decoderLayers];
        selfValues = new NDArray[decoderLayers];
        crossKeys = new NDArray[decoderLayers];
        crossValues = new NDArray[decoderLayers];
    }

    /**
     * @return the number of decoder positions cached so far
     */
    public int length() {
        return length;
    }
}
