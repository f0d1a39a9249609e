package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.jspecify.annotations.Nullable;

/**
 * Rotary position embeddings of one config: {@code inv_freq_j = theta^(-2j/D)} in float32 as HF
 * computes it, then {@link RopeScaling#apply} (linear or llama3); each pair {@code (x1, x2)} chosen
 * by the {@link RopeStyle} is rotated by {@code pos * inv_freq_j}. All ops take per-call arrays as
 * receivers.
 */
final class Rotary {
    private final RopeStyle style;
    private final int headDim;
    private final float[] invFreq;

    Rotary(LlamaConfig config) {
        this.style = config.ropeStyle();
        this.headDim = config.headDim();
        int half = headDim / 2;
        this.invFreq = new float[half];
        for (int j = 0; j < half; j++) {
            // HF: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), float32
            float plain = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / headDim));
            invFreq[j] = (float) config.ropeScaling().apply(plain);
        }
    }

    /**
     * @return cos and sin for the new positions: {@code [B|1, 1, T, D]} (rotate-half) or {@code
     *     [B|1, 1, T, D/2]} (interleaved), in {@code m}
     */
    NDArray[] cosSin(NDManager m, @Nullable NDArray positionIds, int t, int past) {
        NDArray pos;
        if (positionIds == null) {
            pos = m.arange(past, past + t).toType(DataType.FLOAT32, false).reshape(1, t, 1);
        } else {
            pos =
                    positionIds
                            .toType(DataType.FLOAT32, true)
                            .reshape(positionIds.getShape().get(0), t, 1);
            pos.attach(m);
        }
        NDArray freqs = pos.mul(m.create(invFreq));
        if (style == RopeStyle.ROTATE_HALF) {
            freqs = freqs.concat(freqs, -1);
        }
        return new NDArray[] {freqs.cos().expandDims(1), freqs.sin().expandDims(1)};
    }

    /**
     * @param x {@code [B, heads, T, D]}
     * @param cosSin from {@link #cosSin}
     * @return x rotated, same shape
     */
    NDArray apply(NDArray x, NDArray[] cosSin) {
        NDArray cos = cosSin[0];
        NDArray sin = cosSin[1];
        if (style == RopeStyle.ROTATE_HALF) {
            NDArray x1 = x.get(new NDIndex("..., :{}", headDim / 2));
            NDArray x2 = x.get(new NDIndex("..., {}:", headDim / 2));
            NDArray rotated = x2.neg().concat(x1, -1);
            return x.mul(cos).add(rotated.mul(sin));
        }
        Shape shape = x.getShape();
        NDArray pairs = x.reshape(shape.get(0), shape.get(1), shape.get(2), headDim / 2, 2);
        NDArray x0 = pairs.get(new NDIndex("..., 0"));
        NDArray x1 = pairs.get(new NDIndex("..., 1"));
        NDArray o0 = x0.mul(cos).sub(x1.mul(sin));
        NDArray o1 = x0.mul(sin).add(x1.mul(cos));
        return NDArrays.stack(new NDList(o0, o1), -1).reshape(shape);
    }
}
