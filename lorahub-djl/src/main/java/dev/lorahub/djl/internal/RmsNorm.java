package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;

/**
 * RMSNorm, the one normalisation of both model families, as Hugging Face's {@code LlamaRMSNorm}
 * and {@code T5LayerNorm} compute it: {@code x * rsqrt(mean(x^2, last axis) + eps) * weight}, no
 * mean subtracted, no bias. Differentiable; scalar operands through {@link Scalars}.
 */
public final class RmsNorm {
    private RmsNorm() {}

    /**
     * @param x {@code [..., d]}
     * @param weight {@code [d]}
     * @param eps added to the mean square
     * @return the normalised {@code x}, same shape, in a per-call manager of {@code x}'s
     */
    public static NDArray apply(NDArray x, NDArray weight, double eps) {
        NDArray variance = x.pow(Scalars.of(x, 2f)).mean(new int[] {-1}, true);
        NDArray std = variance.add((float) eps).sqrt();
        return x.mul(std.pow(Scalars.of(std, -1f))).mul(weight);
    }
}
