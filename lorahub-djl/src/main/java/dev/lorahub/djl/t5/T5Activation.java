package dev.lorahub.djl.t5;

import java.util.Locale;

/**
 * The activation of T5's feed-forward block, from {@code feed_forward_proj} or {@code dense_act_fn}
 * in {@code config.json}.
 */
public enum T5Activation {
    /** {@code max(0, x)}: original T5 ({@code feed_forward_proj = "relu"}). */
    RELU,
    /**
     * The tanh approximation {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, HF's {@code
     * gelu_new}: T5 v1.1 and Flan-T5 ({@code "gated-gelu"}).
     */
    GELU_NEW,
    /** The exact {@code 0.5 x (1 + erf(x / sqrt(2)))}, HF's {@code gelu}. */
    GELU,
    /** {@code x * sigmoid(x)}, HF's {@code silu} (also {@code swish}). */
    SILU;

    /**
     * @param hfName an HF activation name: {@code relu}, {@code gelu_new}, {@code gelu}, {@code
     *     silu} or {@code swish}
     * @return the activation
     * @throws IllegalArgumentException for any other name
     */
    public static T5Activation fromHfName(String hfName) {
        return switch (hfName.toLowerCase(Locale.ROOT)) {
            case "relu" -> RELU;
            case "gelu_new", "gelu_pytorch_tanh" -> GELU_NEW;
            case "gelu" -> GELU;
            case "silu", "swish" -> SILU;
            default ->
                    throw new IllegalArgumentException(
                            "unsupported T5 activation '"
                                    + (hfName.length() <= 40
                                            ? hfName
                                            : hfName.substring(0, 37) + "...")
                                    + "', expected relu, gelu_new, gelu or silu");
        };
    }
}
