package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import dev.lorahub.djl.ModelFormatException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The two ways a forward reads a weight matrix, for matrices kept in float32 or in float16 ({@link
 * dev.lorahub.model.WeightDtype#F16}); activations stay float32 in and out.
 *
 * <p>With a float16 weight, a linear layer casts its input to float16 and multiplies in float16
 * (libtorch's CPU kernels accumulate in float32), then widens the result. Measured on this
 * project's 2-core machine (docs/scale.md) that took 1.2-2.5x the float32 product, and widening the
 * weight to float32 first 1.2-3.1x; neither was clearly faster, and this way makes no float32 copy
 * of the weight per call. Under a gradient collector (gradient weight learning, LoRA training) the cast
 * is not differentiable in DJL, so the weight is widened by type promotion instead, which is. The
 * choice follows the calling thread's grad mode, so models evaluate with it off on any thread
 * ({@link GradMode}).
 */
public final class WeightOps {
    /** The largest finite float16 value. */
    public static final float HALF_MAX = 65504f;

    private WeightOps() {}

    /**
     * @param x {@code [..., in]} float32
     * @param weight {@code [out, in]} float32 or float16
     * @param bias {@code [out]} float32, or null
     * @return {@code x weight^T + bias}, {@code [..., out]} float32
     */
    public static NDArray linear(NDArray x, NDArray weight, @Nullable NDArray bias) {
        if (weight.getDataType() != DataType.FLOAT16) {
            return (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias))
                    .singletonOrThrow();
        }
        if (JniUtils.isGradMode()) {
            // DJL's toType runs under NoGradGuard: the cast would cut the graph. Widen the weight
            // by type promotion instead (differentiable in the weight and in x), at the cost of a
            // float32 copy of it per call.
            NDArray wide = weight.mul(one(x));
            return (bias == null ? Linear.linear(x, wide) : Linear.linear(x, wide, bias))
                    .singletonOrThrow();
        }
        NDArray y =
                Linear.linear(x.toType(DataType.FLOAT16, false), weight)
                        .singletonOrThrow()
                        .toType(DataType.FLOAT32, false);
        return bias == null ? y : y.add(bias);
    }

    /**
     * A float32 {@code [1]} one: multiplying a float16 array by it widens the array to float32
     * through type promotion, which autograd follows (a 0-d scalar would not promote).
     */
    private static NDArray one(NDArray like) {
        return like.getManager().ones(new Shape(1), DataType.FLOAT32);
    }

    /**
     * @param ids token ids, int64
     * @param table {@code [rows, d]} float32 or float16
     * @return the rows of {@code table}, {@code [..ids, d]} float32
     */
    public static NDArray embedding(NDArray ids, NDArray table) {
        NDArray rows = Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
        return rows.getDataType() == DataType.FLOAT32 ? rows : rows.mul(one(rows));
    }

    /**
     * Refuses a finite value that float16 cannot hold (it would become infinity).
     *
     * @param values {@code n} values from position 0
     * @param n how many to check
     * @param offset the index of the first one in its tensor, for the message
     * @param file the file the tensor comes from
     * @param name the tensor's name
     * @throws ModelFormatException naming the file, the tensor, the value and its position
     */
    public static void requireHalfRange(
            FloatBuffer values, int n, long offset, Path file, String name) {
        for (int i = 0; i < n; i++) {
            float v = values.get(i);
            if (Float.isFinite(v) && Math.abs(v) > HALF_MAX) {
                throw new ModelFormatException(
                        file,
                        "tensor '"
                                + name
                                + "' holds "
                                + v
                                + " at element "
                                + (offset + i)
                                + ", beyond float16's range (+-65504); load it with dtype f32");
            }
        }
    }
}
