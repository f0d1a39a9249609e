package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for differentiable forwards, owned by PyTorch.
 *
 * <p>Why: DJL 0.36's {@code PtNDArray.mul(Number)} (also {@code div}, {@code pow}, {@code maximum},
 * {@code minimum}) makes the scalar with {@code NDManager.create(Number)}, a tensor whose storage
 * is a Java direct {@code ByteBuffer} ({@code torch::from_blob}, no copy), runs the op and closes
 * that array at once. Autograd saves the scalar tensor for the backward of {@code mul}, {@code div}
 * and {@code pow}; once the closed array's buffer is garbage-collected, the backward reads freed
 * memory. Observed: pretraining losses that differ between identical runs from the second step
 * under GC pressure, and occasional non-finite steps. A tensor from {@code NDManager.full} has
 * native storage that the saved tensor keeps alive, so {@code x.mul(of(x, s))} is safe where {@code
 * x.mul(s)} is not. Inference is unaffected (nothing is saved), but the model families use these
 * everywhere in their forwards so that one rule holds.
 */
public final class Scalars {
    private Scalars() {}

    /**
     * @param like an array whose manager receives the scalar (a per-call manager)
     * @param value the value
     * @return a 0-dimensional float32 array with native storage, in {@code like}'s manager
     */
    public static NDArray of(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, DataType.FLOAT32);
    }
}
