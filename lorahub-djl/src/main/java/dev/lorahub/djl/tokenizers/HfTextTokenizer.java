package dev.lorahub.djl.tokenizers;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.spi.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's {@link HuggingFaceTokenizer} (native Rust
 * tokenizers bundled in the jar, no network). No truncation and no padding: the backend lays out
 * batches itself. Closing frees the native tokenizer.
 */
public final class HfTextTokenizer implements TextTokenizer, AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private HfTextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * @param file a {@code tokenizer.json}
     * @return the tokenizer
     * @throws IOException if it cannot be read
     * @throws ModelFormatException naming the file if the tokenizers library cannot parse it (not
     *     JSON, wrong types, too deeply nested), with its message on one line, shortened
     */
    public static HfTextTokenizer open(Path file) throws IOException {
        DjlRuntime.start();
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        try {
            return new HfTextTokenizer(
                    HuggingFaceTokenizer.newInstance(
                            file,
                            Map.of(
                                    "truncation", "false",
                                    "padding", "false",
                                    "maxLength", String.valueOf(1 << 20))));
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").strip();
            throw new ModelFormatException(
                    file,
                    "not a tokenizer the tokenizers library can read: "
                            + (why.length() <= 200 ? why : why.substring(0, 197) + "..."),
                    e);
        }
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
