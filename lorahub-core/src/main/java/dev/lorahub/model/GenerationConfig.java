package dev.lorahub.model;


/**
 * How to generate, with Hugging Face's meaning of each setting: the logits are divided by the
 * temperature, then top-k, then top-p (nucleus) filtering keep the candidates, and one token is
 * drawn from the softmax of what is left.
 *
 * @param maxNewTokens the number of new tokens at most, at least 1
 * @param temperature 0 for greedy argmax (first index on ties), otherwise softmax sampling
 * @param seed the seed for sampling
 * @param topK keep the tokens whose logit is at least the k-th largest (ties kept); 0 = off
 * @param topP keep the most probable tokens until their probability reaches {@code topP} (HF's
 *     {@code TopPLogitsWarper}: at least one token); 1 = off, in (0, 1]
 */
public record GenerationConfig(
        int maxNewTokens, double temperature, long seed, int topK, double topP) {
    /** Validates the fields. */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
    }

    /**
     * Greedy or plain softmax sampling, without top-k or top-p.
     *
     * @param maxNewTokens the number of new tokens at most
     * @param temperature 0 for greedy
     * @param seed the seed for sampling
     */
    public GenerationConfig(int maxNewTokens, double temperature, long seed) {
        this(maxNewTokens, temperature, seed, 0, 1.0);
    }

    /**
     * @param maxNewTokens the number of new tokens at most
     * @return greedy decoding
     */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0.0, 0L);
    }

    /**
     * @param k keep the k most likely tokens (0 = off)
     * @return this config with top-k filtering
     */
    public GenerationConfig withTopK(int k) {
        return new GenerationConfig(maxNewTokens, temperature, seed, k, topP);
    }

    /**
     * @param p the nucleus mass in (0, 1] (1 = off)
     * @return this config with top-p filtering
     */
    public GenerationConfig withTopP(double p) {
        return new GenerationConfig(maxNewTokens, temperature, seed, topK, p);
    }
}
