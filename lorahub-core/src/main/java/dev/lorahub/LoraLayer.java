package dev.lorahub;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The low-rank factors of one targeted linear layer, in PEFT's vocabulary.
 *
 * <p>{@code loraA} is {@code [rank, inFeatures]} and {@code loraB} is {@code [outFeatures, rank]},
 * both row-major float32. The update the layer adds to its base weight is {@code deltaW = scaling *
 * B @ A}, shape {@code [out, in]}; with {@code fanInFanOut} (GPT-2 Conv1D) the base weight is
 * stored {@code [in, out]} and the update is the transpose.
 *
 * <p>Instances are immutable: the constructor copies the arrays, {@link #loraA()} / {@link
 * #loraB()} return copies and {@link #copyLoraA(float[], int)} / {@link #copyLoraB(float[], int)}
 * copy into a buffer the caller owns (for hot paths that pack many layers into one array). No
 * method hands out the internal arrays. Merge results inside this package skip the constructor's
 * copy because their arrays were just allocated and are referenced nowhere else. Reading and
 * writing files is {@code dev.lorahub.io}'s work ({@link dev.lorahub.io.PeftAdapters}).
 */
public final class LoraLayer {
    private final String modulePath;
    private final int rank;
    private final int inFeatures;
    private final int outFeatures;
    private final float[] loraA;
    private final float[] loraB;
    private final double scaling;
    private final boolean fanInFanOut;

    /**
     * @param modulePath the module path in the base model without PEFT's prefix, e.g. {@code
     *     model.layers.0.self_attn.q_proj}
     * @param rank r, at least 1
     * @param inFeatures columns of A
     * @param outFeatures rows of B
     * @param loraA {@code [rank, inFeatures]} row-major, copied
     * @param loraB {@code [outFeatures, rank]} row-major, copied
     * @param scaling s in {@code deltaW = s * B @ A} (alpha / r, or alpha / sqrt(r) with rsLoRA)
     * @param fanInFanOut whether the base layer stores its weight as {@code [in, out]}
     */
    public LoraLayer(
            String modulePath,
            int rank,
            int inFeatures,
            int outFeatures,
            float[] loraA,
            float[] loraB,
            double scaling,
            boolean fanInFanOut) {
        this(modulePath, rank, inFeatures, outFeatures, loraA, loraB, scaling, fanInFanOut, true);
    }

    /**
     * Takes ownership of {@code loraA} and {@code loraB} without copying them: for merge results
     * that were just allocated and are referenced nowhere else.
     */
    static LoraLayer owning(
            String modulePath,
            int rank,
            int inFeatures,
            int outFeatures,
            float[] loraA,
            float[] loraB,
            double scaling,
            boolean fanInFanOut) {
        return new LoraLayer(
                modulePath,
                rank,
                inFeatures,
                outFeatures,
                loraA,
                loraB,
                scaling,
                fanInFanOut,
                false);
    }

    private LoraLayer(
            String modulePath,
            int rank,
            int inFeatures,
            int outFeatures,
            float[] loraA,
            float[] loraB,
            double scaling,
            boolean fanInFanOut,
            boolean copy) {
        this.modulePath = Objects.requireNonNull(modulePath, "modulePath");
        if (rank < 1 || inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException(
                    "layer '"
                            + modulePath
                            + "': rank, in and out must be >= 1, got r="
                            + rank
                            + " in="
                            + inFeatures
                            + " out="
                            + outFeatures);
        }
        if (loraA.length != (long) rank * inFeatures) {
            throw new IllegalArgumentException(
                    "layer '"
                            + modulePath
                            + "': lora_A has "
                            + loraA.length
                            + " values, expected "
                            + rank
                            + "x"
                            + inFeatures);
        }
        if (loraB.length != (long) outFeatures * rank) {
            throw new IllegalArgumentException(
                    "layer '"
                            + modulePath
                            + "': lora_B has "
                            + loraB.length
                            + " values, expected "
                            + outFeatures
                            + "x"
                            + rank);
        }
        if (!Double.isFinite(scaling)) {
            throw new IllegalArgumentException(
                    "layer '" + modulePath + "': scaling must be finite, got " + scaling);
        }
        this.rank = rank;
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.loraA = copy ? loraA.clone() : loraA;
        this.loraB = copy ? loraB.clone() : loraB;
        this.scaling = scaling;
        this.fanInFanOut = fanInFanOut;
    }

    /**
     * @return the module path in the base model, e.g. {@code model.layers.0.self_attn.q_proj}
     */
    public String modulePath() {
        return modulePath;
    }

    /**
     * @return r
     */
    public int rank() {
        return rank;
    }

    /**
     * @return in_features of the base linear layer (columns of A)
     */
    public int inFeatures() {
        return inFeatures;
    }

    /**
     * @return out_features of the base linear layer (rows of B)
     */
    public int outFeatures() {
        return outFeatures;
    }

    /**
     * @return a copy of lora_A, {@code [rank, inFeatures]} row-major
     */
    public float[] loraA() {
        return loraA.clone();
    }

    /**
     * @return a copy of lora_B, {@code [outFeatures, rank]} row-major
     */
    public float[] loraB() {
        return loraB.clone();
    }

    /**
     * @return lora_A without a copy, read-only, {@code [rank, inFeatures]} row-major
     */
    public FloatBuffer loraAView() {
        return FloatBuffer.wrap(loraA).asReadOnlyBuffer();
    }

    /**
     * @return lora_B without a copy, read-only, {@code [outFeatures, rank]} row-major
     */
    public FloatBuffer loraBView() {
        return FloatBuffer.wrap(loraB).asReadOnlyBuffer();
    }

    /**
     * Copies lora_A into a caller's buffer, without allocating.
     *
     * @param dest the buffer, with room for {@code rank * inFeatures} values from {@code destPos}
     * @param destPos where the first value goes
     * @throws IndexOutOfBoundsException if {@code dest} is too short
     */
    public void copyLoraA(float[] dest, int destPos) {
        System.arraycopy(loraA, 0, dest, destPos, loraA.length);
    }

    /**
     * Copies lora_B into a caller's buffer, without allocating.
     *
     * @param dest the buffer, with room for {@code outFeatures * rank} values from {@code destPos}
     * @param destPos where the first value goes
     * @throws IndexOutOfBoundsException if {@code dest} is too short
     */
    public void copyLoraB(float[] dest, int destPos) {
        System.arraycopy(loraB, 0, dest, destPos, loraB.length);
    }

    /** The internal lora_A, for this package's merge and hash code only; never modified. */
    float[] sharedA() {
        return loraA;
    }

    /** The internal lora_B, for this package's merge and hash code only; never modified. */
    float[] sharedB() {
        return loraB;
    }

    /**
     * @return s in {@code deltaW = s * B @ A}
     */
    public double scaling() {
        return scaling;
    }

    /**
     * @return true when the base weight is stored {@code [in, out]} (GPT-2 Conv1D)
     */
    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    /**
     * @return {@code deltaW = scaling * B @ A} as a row-major {@code [out, in]} array, or its
     *     transpose {@code [in, out]} when {@link #fanInFanOut()}; accumulated in double
     */
    public float[] deltaWeight() {
        float[] delta = new float[outFeatures * inFeatures];
        double[] row = new double[inFeatures];
        for (int o = 0; o < outFeatures; o++) {
            Arrays.fill(row, 0.0);
            for (int k = 0; k < rank; k++) {
                double b = loraB[o * rank + k];
                if (b == 0.0) {
                    continue;
                }
                int aOff = k * inFeatures;
                for (int i = 0; i < inFeatures; i++) {
                    row[i] += b * loraA[aOff + i];
                }
            }
            for (int i = 0; i < inFeatures; i++) {
                float v = (float) (scaling * row[i]);
                if (fanInFanOut) {
                    delta[i * outFeatures + o] = v;
                } else {
                    delta[o * inFeatures + i] = v;
                }
            }
        }
        return delta;
    }

    /**
     * @param newScaling the scaling of the copy, finite
     * @return a copy with another scaling, same factors
     */
    public LoraLayer withScaling(double newScaling) {
        return new LoraLayer(
                modulePath, rank, inFeatures, outFeatures, loraA, loraB, newScaling, fanInFanOut);
    }

    @Override
    public String toString() {
        return "LoraLayer["
                + modulePath
                + ", r="
                + rank
                + ", A "
                + rank
                + "x"
                + inFeatures
                + ", B "
                + outFeatures
                + "x"
                + rank
                + ", scaling="
                + scaling
                + "]";
    }
}
