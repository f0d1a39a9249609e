package dev.lorahub.djl.t5;

import dev.lorahub.djl.tokenizers.HfTextTokenizer;
import dev.lorahub.spi.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A T5 tokenizer from a local {@code tokenizer.json} (the shared {@link HfTextTokenizer}: DJL's
 * HuggingFaceTokenizer, offline, no truncation). T5 adds no BOS; with special tokens an input ends
 * with EOS ({@code </s>}, id 1), which is what HF's {@code T5TokenizerFast} does for inputs and
 * labels alike. The EOS is appended here rather than left to the file's post-processor, so a {@code
 * tokenizer.json} without one still yields T5's layout.
 */
public final class T5Tokenizer implements TextTokenizer, AutoCloseable {
    private final HfTextTokenizer tokenizer;
    private final int eosTokenId;

    private T5Tokenizer(HfTextTokenizer tokenizer, int eosTokenId) {
        this.tokenizer = tokenizer;
        this.eosTokenId = eosTokenId;
    }

    /**
     * @param tokenizerJson the {@code tokenizer.json} file
     * @param eosTokenId the model's EOS id
     * @return the tokenizer, to be closed
     * @throws IOException if the file cannot be read or parsed
     */
    public static T5Tokenizer load(Path tokenizerJson, int eosTokenId) throws IOException {
        return new T5Tokenizer(
                HfTextTokenizer.open(Objects.requireNonNull(tokenizerJson, "tokenizerJson")),
                eosTokenId);
    }

    /**
     * @param text text to encode
     * @param addSpecialTokens whether to end the ids with EOS
     * @return token ids
     */
    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        int[] ids = tokenizer.encode(text, false);
        if (!addSpecialTokens) {
            return ids;
        }
        int[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eosTokenId;
        return out;
    }

    /**
     * @param ids token ids
     * @return the text, special tokens (pad, EOS) skipped
     */
    @Override
    public String decode(int[] ids) {
        return tokenizer.decode(ids);
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
    }
}
