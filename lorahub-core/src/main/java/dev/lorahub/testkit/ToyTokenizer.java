package dev.lorahub.testkit;

import dev.lorahub.spi.TextTokenizer;
import java.util.Arrays;

/**
 * A character tokenizer for {@link ToyModel}: id 0 pads, 1 is BOS, 2 is EOS, and a printable ASCII
 * character {@code c} becomes {@code 3 + (c - 32) mod (V - 3)}; any other character is encoded as
 * {@code '?'}. Decoding is exact when {@code V >= 98} and skips the special ids.
 */
public final class ToyTokenizer implements TextTokenizer {
    /** The padding id. */
    public static final int PAD = 0;

    /** The beginning-of-sequence id, added by {@code encode(text, true)}. */
    public static final int BOS = 1;

    /** The end-of-sequence id; generation stops after it. */
    public static final int EOS = 2;

    private static final int FIRST = 3;
    private final int vocabSize;

    /**
     * @param vocabSize V of the model, at least 4
     */
    public ToyTokenizer(int vocabSize) {
        if (vocabSize < 4) {
            throw new IllegalArgumentException("vocabSize must be >= 4, got " + vocabSize);
        }
        this.vocabSize = vocabSize;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        int offset = addSpecialTokens ? 1 : 0;
        int[] ids = new int[text.length() + offset];
        if (addSpecialTokens) {
            ids[0] = BOS;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int code = c >= 32 && c <= 126 ? c - 32 : '?' - 32;
            ids[i + offset] = FIRST + code % (vocabSize - FIRST);
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException(
                        "token id "
                                + id
                                + " outside vocabulary of "
                                + vocabSize
                                + " in "
                                + Arrays.toString(ids));
            }
            if (id >= FIRST) {
                sb.append((char) (32 + id - FIRST));
            }
        }
        return sb.toString();
    }
}
