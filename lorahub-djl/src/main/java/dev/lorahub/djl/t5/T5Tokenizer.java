package dev.lorahub.djl.t5;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.lorahub.spi.TextTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A T5 tokenizer from a local {@code tokenizer.json} (DJL's HuggingFaceTokenizer, offline, no
 * truncation, no padding). T5 adds no BOS; with special tokens an input ends with EOS ({@code
 * </s>}, id 1), which is what HF's {@code T5TokenizerFast} does for both inputs and labels. The EOS
 * is appended here rather than left to the file's post-processor, so a {@code tokenizer.json}
 * without one still yields T5's layout.
 */
public final class T5Tokenizer implements TextTokenizer, AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int eosTokenId;

    private T5Tokenizer(HuggingFaceTokenizer tokenizer, int eosTokenId) {
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
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        HuggingFaceTokenizer tok =
                HuggingFaceTokenizer.newInstance(
                        tokenizerJson,
                        Map.of(
                                "addSpecialTokens", "false",
                                "truncation", "false",
                                "padding", "false",
                                "modelMaxLength", String.valueOf(Integer.MAX_VALUE)));
        return new T5Tokenizer(tok, eosTokenId);
    }

    /**
     * @param text text to encode
     * @param addSpecialTokens whether to end the ids with EOS
     * @return token ids
     */
    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length + (addSpecialTokens ? 1 : 0)];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        if (addSpecialTokens) {
            out[ids.length] = eosTokenId;
        }
        return out;
    }

    /**
     * @param ids token ids
     * @return the text, special tokens (pad, EOS) skipped
     */
    @Override
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
    }
}
