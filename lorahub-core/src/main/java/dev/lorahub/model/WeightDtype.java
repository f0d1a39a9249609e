package dev.lorahub.model;

import java.util.Locale;

/**
 * How a base model keeps its weight matrices in memory.
 *
 * <p>{@link #F32} (the default) is exact: every checkpoint type is widened to float32 and every
 * result matches the reference implementations to float32 rounding. {@link #F16} halves the memory
 * of the weight matrices (linear weights and embeddings; norms and biases stay float32): a 7B
 * model's 27 GB become 13.5 GB. F16 and BF16 checkpoints keep their values exactly when they lie
 * within float16's range (BF16 values of magnitude 7.6e-6 to 65,280 are exactly representable;
 * smaller ones are rounded to float16's subnormal step 6e-8, those under 3e-8 become 0); a value beyond 65,504 is refused, naming
 * the tensor. F32 checkpoints are rounded to the nearest float16.
 *
 * <p>There is no BF16 mode: DJL 0.36's PyTorch engine aborts the JVM as soon as a BF16 array
 * exists (see docs/scale.md), so BF16 checkpoints are read as F32 or F16.
 */
public enum WeightDtype {
    /** float32 weights: exact, 4 bytes per parameter. */
    F32,
    /** float16 weight matrices, float32 compute elsewhere: 2 bytes per parameter. */
    F16;

    /**
     * @param text {@code f32}, {@code float32}, {@code f16} or {@code float16}, any case
     * @return the dtype
     * @throws IllegalArgumentException for anything else, saying why {@code bf16} is not offered
     */
    public static WeightDtype parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "f32", "float32", "fp32":
                return F32;
            case "f16", "float16", "fp16", "half":
                return F16;
            case "bf16", "bfloat16":
                throw new IllegalArgumentException(
                        "dtype '"
                                + text
                                + "' is not offered: DJL 0.36's PyTorch engine aborts the JVM on"
                                + " any BF16 array; use f16, which keeps a BF16 checkpoint in 16"
                                + " bits (exactly for magnitudes 7.6e-6 to 65280)");
            default:
                throw new IllegalArgumentException(
                        "unknown dtype '" + text + "', expected f32 or f16");
        }
    }

    /**
     * @return {@code f32} or {@code f16}, as the CLI spells it
     */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
