package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.internal.TokenIds;
import dev.lorahub.spi.GenerationConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Batched autoregressive generation with a KV cache, as Hugging Face's {@code generate} does for a
 * decoder-only model.
 *
 * <p>Prompts are left-padded; {@code position_ids = cumsum(mask) - 1} with padded slots set to 1,
 * so every row's real tokens sit at positions 0, 1, 2, ... Each step feeds only the new token, with
 * the mask extended by 1 and the position advanced by 1. Greedy takes the first index of the
 * maximum logit; sampling draws from {@code softmax(logits / temperature)} with one {@link Random}
 * seeded by {@link GenerationConfig#seed()}, rows in order. Once a row emits EOS its later tokens
 * are {@code pad} (HF pads with EOS when there is no pad token); generation stops when every row
 * has finished or after {@code maxNewTokens}. Every step runs in a sub-manager that is closed; only
 * the cache survives between steps, in the generation's own sub-manager.
 */
public final class LlamaGenerator {
    private LlamaGenerator() {}

    /**
     * Generates from unpadded prompts (left-padded here).
     *
     * @param model the model (with any adapter already applied in place)
     * @param prompts token ids per row, each non-empty
     * @param config greedy or sampling
     * @return per row the new ids only, ending at the first EOS (included) if one was emitted
     */
    public static List<int[]> generate(
            LlamaModel model, List<int[]> prompts, GenerationConfig config) {
        int b = prompts.size();
        int len = 0;
        for (int[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("prompt " + prompts.indexOf(p) + " is empty");
            }
            len = Math.max(len, p.length);
        }
        int pad = padId(model.config());
        int[][] ids = new int[b][len];
        int[][] mask = new int[b][len];
        for (int r = 0; r < b; r++) {
            int[] p = prompts.get(r);
            Arrays.fill(ids[r], pad);
            System.arraycopy(p, 0, ids[r], len - p.length, p.length);
            Arrays.fill(mask[r], len - p.length, len, 1);
        }
        int[][] full = generatePadded(model, ids, mask, config);
        int eos = model.config().eosTokenId();
        List<int[]> out = new ArrayList<>();
        for (int[] row : full) {
            int end = row.length;
            for (int i = len; i < row.length; i++) {
                if (row[i] == eos) {
                    end = i + 1;
                    break;
                }
            }
            out.add(Arrays.copyOfRange(row, len, end));
        }
        return out;
    }

    /**
     * HF-style generation from an already padded batch.
     *
     * @param model the model
     * @param inputIds {@code [B][L]} prompt ids, left-padded
     * @param attentionMask {@code [B][L]} 1 for real tokens
     * @param config greedy or sampling
     * @return {@code [B][L + n]}: the prompts followed by the n generated ids (pad after EOS)
     */
    public static int[][] generatePadded(
            LlamaModel model, int[][] inputIds, int[][] attentionMask, GenerationConfig config) {
        LlamaConfig c = model.config();
        for (int r = 0; r < inputIds.length; r++) {
            TokenIds.requireInVocab(inputIds[r], c.vocabSize(), "prompt ids of row " + r);
        }
        int b = inputIds.length;
        int len = inputIds[0].length;
        int maxLen = len + config.maxNewTokens();
        int[][] seq = new int[b][];
        int[] lastPos = new int[b];
        int[] posIds = new int[b * len];
        for (int r = 0; r < b; r++) {
            seq[r] = Arrays.copyOf(inputIds[r], maxLen);
            int count = 0;
            for (int i = 0; i < len; i++) {
                count += attentionMask[r][i];
                posIds[r * len + i] = attentionMask[r][i] == 0 ? 1 : count - 1;
            }
            lastPos[r] = count - 1;
        }
        int[] maskFlat = new int[b * maxLen];
        for (int r = 0; r < b; r++) {
            System.arraycopy(attentionMask[r], 0, maskFlat, r * maxLen, len);
        }
        Random random = new Random(config.seed());
        boolean[] done = new boolean[b];
        int pad = padId(c);
        int produced = 0;
        try (NDManager gen = model.manager().newSubManager()) {
            KvCache cache = new KvCache(c.numLayers());
            int[] stepIds = flatten(inputIds);
            int[] stepPos = posIds;
            int stepLen = len;
            while (produced < config.maxNewTokens()) {
                int keys = len + produced;
                float[] last;
                try (NDManager step = gen.newSubManager()) {
                    NDArray ids = step.create(stepIds, new Shape(b, stepLen));
                    NDArray mask =
                            step.create(slice(maskFlat, b, maxLen, keys), new Shape(b, keys));
                    NDArray pos = step.create(stepPos, new Shape(b, stepLen));
                    NDArray logits = model.forward(ids, mask, pos, cache, Map.of());
                    last = logits.get(new NDIndex(":, -1, :")).toFloatArray();
                    cache.attachAll(gen);
                }
                int[] next = new int[b];
                boolean allDone = true;
                for (int r = 0; r < b; r++) {
                    if (done[r]) {
                        next[r] = pad;
                    } else {
                        next[r] = choose(last, r * c.vocabSize(), c.vocabSize(), config, random);
                        done[r] = next[r] == c.eosTokenId();
                    }
                    allDone &= done[r];
                    seq[r][len + produced] = next[r];
                    maskFlat[r * maxLen + len + produced] = 1;
                    lastPos[r]++;
                }
                produced++;
                if (allDone) {
                    break;
                }
                stepIds = next;
                stepPos = lastPos.clone();
                stepLen = 1;
            }
        }
        int[][] out = new int[b][];
        for (int r = 0; r < b; r++) {
            out[r] = Arrays.copyOf(seq[r], len + produced);
        }
        return out;
    }

    /**
     * @return the pad id HF uses while generating: pad, else EOS, else 0
     */
    static int padId(LlamaConfig c) {
        return c.padTokenId() >= 0 ? c.padTokenId() : Math.max(c.eosTokenId(), 0);
    }

    private static int choose(
            float[] logits, int off, int vocab, GenerationConfig config, Random random) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[off + i] > logits[off + best]) {
                best = i;
            }
        }
        if (config.temperature() == 0) {
            return best;
        }
        double max = logits[off + best];
        double[] p = new double[vocab];
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[off + i] - max) / config.temperature());
            z += p[i];
        }
        double u = random.nextDouble() * z;
        for (int i = 0; i < vocab; i++) {
            u -= p[i];
            if (u < 0) {
                return i;
            }
        }
        return best;
    }

    private static int[] flatten(int[][] rows) {
        int[] out = new int[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
        }
        return out;
    }

    private static int[] slice(int[] flat, int b, int stride, int keys) {
        int[] out = new int[b * keys];
        for (int r = 0; r < b; r++) {
            System.arraycopy(flat, r * stride, out, r * keys, keys);
        }
        return out;
    }
}
