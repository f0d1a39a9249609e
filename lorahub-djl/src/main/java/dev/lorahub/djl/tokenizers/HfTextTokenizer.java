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
    private final Path file;

    private HfTextTokenizer(HuggingFaceTokenizer tokenizer, Path file) {
        this.tokenizer = tokenizer;
        this.file = file;
    }

    /**
     * @param file a {@code tokenizer.json}
     * @return the tokenizer
     * @throws IOException if it cannot be read
     * @throws ModelFormatException naming the file and the key if {@link TokenizerJson} refuses it
     *     (not strict JSON, over its size, depth, number or string limits, wrong structure), or if
     *     the tokenizers library cannot read it, with its message on one line, shortened
     */
    public static HfTextTokenizer open(Path file) throws IOException {
        DjlRuntime.start();
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        TokenizerJson.check(file); // what would abort the JVM in the native library is refused here
        try {
            return new HfTextTokenizer(
                    HuggingFaceTokenizer.newInstance(
                            file,
                            Map.of(
                                    "truncation", "false",
                                    "padding", "false",
                                    "maxLength", String.valueOf(1 << 20))),
                    file);
        } catch (RuntimeException e) {
            throw new ModelFormatException(
                    file, "not a tokenizer the tokenizers library can read: " + oneLine(e), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws ModelFormatException naming the file if the library cannot encode with it (a
     *     tokenizer.json that loads but fails on some text)
     */
    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        Encoding e;
        try {
            e = tokenizer.encode(text, addSpecialTokens, false);
        } catch (RuntimeException ex) {
            throw new ModelFormatException(file, "cannot encode with it: " + oneLine(ex), ex);
        }
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

    /** The library's message on one line, cut to 200 characters. */
    private static String oneLine(RuntimeException e) {
        String why = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").strip();
        return why.length() <= 200 ? why : why.substring(0, 197) + "...";
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
