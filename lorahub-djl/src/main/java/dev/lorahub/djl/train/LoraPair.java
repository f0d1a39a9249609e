package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import dev.lorahub.djl.internal.Scalars;
import java.util.Objects;

/**
 * The trainable factors of one targeted linear layer during a forward, and the one LoRA side
 * branch every differentiable forward (LLaMA, T5) adds to its frozen linear: {@code y = x W^T +
 * scaling * (dropout(x) A^T) B^T}, PEFT's {@code lora_B(lora_A(dropout(x))) * scaling}.
 *
 * @param a lora_A, {@code [rank, in]} float32
 * @param b lora_B, {@code [out, rank]} float32
 * @param scaling {@code alpha / rank}
 * @param dropout applied to the branch input ({@link LoraDropout#NONE} outside training)
 */
public record LoraPair(NDArray a, NDArray b, float scaling, LoraDropout dropout)
        implements SideBranch {
    /** Validates non-null factors. */
    public LoraPair {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(dropout, "dropout");
    }

    /**
     * Factors without dropout.
     *
     * @param a lora_A, {@code [rank, in]}
     * @param b lora_B, {@code [out, rank]}
     * @param scaling {@code alpha / rank}
     */
    public LoraPair(NDArray a, NDArray b, float scaling) {
        this(a, b, scaling, LoraDropout.NONE);
    }

    /**
     * @param x the layer input, {@code [..., in]}
     * @return {@code scaling * (dropout(x) A^T) B^T}, {@code [..., out]}, differentiable in A, B
     *     and x
     */
    @Override
    public NDArray branch(NDArray x) {
        NDArray low = Linear.linear(dropout.apply(x), a).singletonOrThrow();
        NDArray up = Linear.linear(low, b).singletonOrThrow();
        // scalar operand via Scalars: autograd saves it (see Scalars)
        return up.mul(Scalars.of(up, scaling));
    }

    /**
     * @return {@code in}, the columns of A
     */
    @Override
    public long inFeatures() {
        return a.getShape().get(1);
    }

    /**
     * @return {@code out}, the rows of B
     */
    @Override
    public long outFeatures() {
        return b.getShape().get(0);
    }
}
