package dev.lorahub.djl.llama;

import java.util.Objects;

/**
 * Hugging Face's {@code rope_scaling}, for the types whose frequencies do not depend on the
 * sequence length. Other types ({@code dynamic}, {@code yarn}, {@code longrope}, ...) are refused
 * when the config is read, never silently ignored.
 *
 * @param type how {@code inv_freq} is changed
 * @param factor the scaling factor (1 for {@link Type#NONE})
 * @param lowFreqFactor llama3: {@code low_freq_factor}
 * @param highFreqFactor llama3: {@code high_freq_factor}
 * @param originalMaxPositions llama3: {@code original_max_position_embeddings}
 */
public record RopeScaling(
        Type type,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositions) {

    /** The supported {@code rope_type}s. */
    public enum Type {
        /** No scaling. */
        NONE,
        /** {@code inv_freq / factor} (HF "linear": positions divided by the factor). */
        LINEAR,
        /**
         * Llama 3.1: wavelengths {@code 2 pi / inv_freq} above {@code original / low_freq_factor}
         * are divided by {@code factor}, below {@code original / high_freq_factor} kept, and
         * smoothly interpolated between.
         */
        LLAMA3
    }

    /** No scaling. */
    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1, 0, 0, 0);

    /** Validates the factors. */
    public RopeScaling {
        Objects.requireNonNull(type, "type");
        if (!(factor > 0)) {
            throw new IllegalArgumentException("rope_scaling factor must be > 0, got " + factor);
        }
        if (type == Type.LLAMA3
                && (!(lowFreqFactor > 0)
                        || !(highFreqFactor > lowFreqFactor)
                        || originalMaxPositions < 1)) {
            throw new IllegalArgumentException(
                    "llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor and"
                            + " original_max_position_embeddings >= 1, got "
                            + lowFreqFactor
                            + ", "
                            + highFreqFactor
                            + ", "
                            + originalMaxPositions);
        }
    }

    /**
     * @param invFreq the unscaled {@code theta^(-2j/D)}
     * @return the scaled frequency, as transformers computes it
     */
    double apply(double invFreq) {
        switch (type) {
            case LINEAR:
                return invFreq / factor;
            case LLAMA3:
                double wavelen = 2 * Math.PI / invFreq;
                double lowWavelen = originalMaxPositions / lowFreqFactor;
                double highWavelen = originalMaxPositions / highFreqFactor;
                if (wavelen < highWavelen) {
                    return invFreq;
                }
                if (wavelen > lowWavelen) {
                    return invFreq / factor;
                }
                double smooth =
                        (originalMaxPositions / wavelen - lowFreqFactor)
                                / (highFreqFactor - lowFreqFactor);
                return (1 - smooth) * invFreq / factor + smooth * invFreq;
            default:
                return invFreq;
        }
    }
}
