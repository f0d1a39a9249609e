package dev.lorahub.djl.tokenizers;

import dev.lorahub.spi.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece-style BPE with scores and byte fallback, as llama2.c's {@code run.c} implements it
 * and GGUF files embed it ({@code tokenizer.ggml.model = llama}).
 *
 * <p>Encode: {@code [BOS]} if special tokens are wanted; if the text is non-empty, the piece {@code
 * "▁"} (dummy prefix); one piece per UTF-8 code point, or its bytes as {@code <0xXX>} byte tokens
 * when the code point is not a piece; then, repeatedly, merge the adjacent pair whose concatenation
 * is a piece of highest score (strictly greater, so the leftmost wins ties) until no pair merges.
 * No EOS. Pieces are compared with {@code ▁} replaced by a space; control tokens never merge.
 *
 * <p>Decode: concatenate pieces ({@code ▁} as space, {@code <0xXX>} as the byte XX), skip control
 * tokens, drop the leading space of the piece right after BOS, read the bytes as UTF-8.
 */
public final class SentencePieceBpe implements TextTokenizer {
    /** GGUF token type of a normal piece. */
    public static final int NORMAL = 1;

    /** GGUF token type of a control token (BOS, EOS). */
    public static final int CONTROL = 3;

    /** GGUF token type of a byte-fallback token {@code <0xXX>}. */
    public static final int BYTE = 6;

    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final int bos;
    private final Map<String, Integer> lookup = new HashMap<>();
    private final int[] byteIds = new int[256];

    /**
     * @param pieces the vocabulary, {@code ▁} for spaces
     * @param scores merge scores (higher merges first)
     * @param types GGUF token types (1 normal, 2 unknown, 3 control, 6 byte, ...)
     * @param bos the BOS id
     * @throws IllegalArgumentException if the arrays differ in length or a byte token is missing
     */
    public SentencePieceBpe(String[] pieces, float[] scores, int[] types, int bos) {
        if (pieces.length != scores.length || pieces.length != types.length) {
            throw new IllegalArgumentException(
                    "tokenizer arrays differ: "
                            + pieces.length
                            + " pieces, "
                            + scores.length
                            + " scores, "
                            + types.length
                            + " types");
        }
        this.pieces = pieces.clone();
        this.scores = scores.clone();
        this.types = types.clone();
        this.bos = bos;
        java.util.Arrays.fill(byteIds, -1);
        for (int i = 0; i < pieces.length; i++) {
            if (types[i] == CONTROL) {
                continue;
            }
            if (types[i] == BYTE && pieces[i].matches("<0x[0-9A-Fa-f]{2}>")) {
                byteIds[Integer.parseInt(pieces[i].substring(3, 5), 16)] = i;
            }
            lookup.putIfAbsent(text(i), i);
        }
    }

    private String text(int id) {
        return pieces[id].replace('\u2581', ' ');
    }

    /**
     * @return the vocabulary size
     */
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> ids = new ArrayList<>();
        if (addSpecialTokens && bos >= 0) {
            ids.add(bos);
        }
        int start = ids.size();
        if (!text.isEmpty()) {
            Integer space = lookup.get(" ");
            if (space != null) {
                ids.add(space);
            }
        }
        text.codePoints()
                .forEach(
                        cp -> {
                            String s = new String(Character.toChars(cp));
                            Integer id = lookup.get(s);
                            if (id != null) {
                                ids.add(id);
                                return;
                            }
                            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                                int byteId = byteIds[b & 0xff];
                                if (byteId < 0) {
                                    throw new IllegalArgumentException(
                                            "no piece and no byte token for byte " + (b & 0xff));
                                }
                                ids.add(byteId);
                            }
                        });
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int bestIdx = -1;
            int bestId = -1;
            for (int i = start; i < ids.size() - 1; i++) {
                Integer merged = lookup.get(text(ids.get(i)) + text(ids.get(i + 1)));
                if (merged != null && scores[merged] > best) {
                    best = scores[merged];
                    bestIdx = i;
                    bestId = merged;
                }
            }
            if (bestIdx < 0) {
                break;
            }
            ids.set(bestIdx, bestId);
            ids.remove(bestIdx + 1);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) {
                throw new IllegalArgumentException(
                        "token id " + id + " outside the vocabulary of " + pieces.length);
            }
            if (types[id] == CONTROL) {
                prev = id;
                continue;
            }
            String piece = text(id);
            if (types[id] == BYTE && piece.matches("<0x[0-9A-Fa-f]{2}>")) {
                out.write(Integer.parseInt(piece.substring(3, 5), 16));
            } else {
                if (prev == bos && piece.startsWith(" ")) {
                    piece = piece.substring(1);
                }
                out.writeBytes(piece.getBytes(StandardCharsets.UTF_8));
            }
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
