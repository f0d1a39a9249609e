package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * The trainable factors of one targeted linear layer during a forward: the layer computes {@code y
 * = x W^T + scaling * (x A^T) B^T}.
 *
 * @param a lora_A, {@code [rank, in]} float32
 * @param b lora_B, {@code [out, rank]} float32
 * @param scaling {@code alpha / rank}
 */
public record LoraPair(NDArray a, NDArray b, float scaling) {
    /** Validates non-null factors. */
    public LoraPair {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
    }
}
