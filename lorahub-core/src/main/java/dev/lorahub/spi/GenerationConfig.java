package dev.lorahub.spi;

/**
 * How to generate.
 *
 * @param maxNewTokens the number of new tokens at most, at least 1
 * @param temperature 0 for greedy argmax (first index on ties), otherwise softmax sampling
 * @param seed the seed for sampling
 */
public record GenerationConfig(int maxNewTokens, double temperature, long seed) {
    /** Validates the fields. */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
    }

    /**
     * @param maxNewTokens the number of new tokens at most
     * @return greedy decoding
     */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0.0, 0L);
    }
}
