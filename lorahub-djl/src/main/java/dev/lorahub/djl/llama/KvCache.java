package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;

/**
 * Keys and values of earlier positions, per layer, each {@code [B, KV, past, D]} after RoPE. The
 * arrays live in the manager of the call that created them (the generation's sub-manager); this
 * object only holds references and is discarded with that manager.
 */
public final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    /**
     * @param layers the number of decoder layers
     */
    public KvCache(int layers) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /**
     * @return the number of cached positions
     */
    public int length() {
        return length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Replaces a layer's entries; the previous arrays (already concatenated in) are closed. */
    void put(int layer, NDArray k, NDArray v) {
        if (keys[layer] != null && keys[layer] != k) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = k;
        values[layer] = v;
    }

    /**
     * Moves every cached array to {@code manager}, so that a per-step manager can be closed.
     *
     * @param manager the generation's manager
     */
    public void attachAll(ai.djl.ndarray.NDManager manager) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].attach(manager);
                values[i].attach(manager);
            }
        }
    }

    void advance(int positions) {
        length += positions;
    }
}
