package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import java.util.SplittableRandom;

/**
 * PEFT's {@code lora_dropout} ({@code nn.Dropout(p)} on the input of the LoRA branch only, during
 * training): each element of {@code x} is zeroed with probability {@code p} and the others are
 * scaled by {@code 1 / (1 - p)}, so the expected input is unchanged; the frozen base path {@code x
 * W^T} sees {@code x} untouched. Masks are drawn in Java from one {@link SplittableRandom}, so a
 * seed gives the same masks in the same order of calls. A trained {@code LoraModule} carries no
 * dropout: evaluation never drops.
 *
 * <p>Not thread-safe: one instance per training run.
 */
public final class LoraDropout {
    /** No dropout: {@link #apply} returns its argument. */
    public static final LoraDropout NONE = new LoraDropout(0, 0);

    private final double p;
    private final SplittableRandom random;

    private LoraDropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + p);
        }
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

    /**
     * @param p the probability of zeroing an element, in [0, 1)
     * @param seed starts the mask stream
     * @return a dropout, or {@link #NONE} when {@code p == 0}
     */
    public static LoraDropout of(double p, long seed) {
        return p == 0 ? NONE : new LoraDropout(p, seed);
    }

    /**
     * @return the probability of zeroing an element
     */
    public double p() {
        return p;
    }

    /**
     * @param x the LoRA branch input
     * @return {@code x * mask / (1 - p)} with a fresh Bernoulli(1 - p) mask, in {@code x}'s
     *     manager; {@code x} itself when {@code p == 0}
     */
    public NDArray apply(NDArray x) {
        if (p == 0) {
            return x;
        }
        float keep = (float) (1 / (1 - p));
        float[] mask = new float[Math.toIntExact(x.size())];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = random.nextDouble() < p ? 0f : keep;
        }
        return x.mul(x.getManager().create(mask, x.getShape()));
    }
}
