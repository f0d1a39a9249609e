package dev.lorahub.spi;

/**
 * Few-shot examples tokenized and laid out by a backend once, so that each objective evaluation
 * costs only the forward pass. Opaque to core; may hold native memory, hence closeable.
 */
public interface EncodedBatch extends AutoCloseable {
    /**
     * @return the number of examples in the batch
     */
    int size();

    /**
     * @return the number of labelled (non -100) target tokens over the batch
     */
    int labelledTokens();

    @Override
    void close();
}
