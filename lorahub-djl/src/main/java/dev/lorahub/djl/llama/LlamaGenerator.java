package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.internal.DecodingLoop;
import dev.lorahub.djl.internal.TokenIds;
import dev.lorahub.model.GenerationConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Batched autoregressive generation with a KV cache, as Hugging Face's {@code generate} does for a
 * decoder-only model.
 *
 * <p>Prompts are left-padded; {@code position_ids = cumsum(mask) - 1} with padded slots set to 1,
 * so every row's real tokens sit at positions 0, 1, 2, ... Each step feeds only the new token, with
 * the mask extended by 1 and the position advanced by 1. The loop and the token choice (greedy,
 * temperature, top-k, top-p, one seeded random source) are {@link DecodingLoop} and {@link
 * dev.lorahub.spi.TokenChooser}, shared with T5. Once a row emits EOS its later tokens are {@code
 * pad} (HF pads with EOS when there is no pad token); generation stops when every row has finished
 * or after {@code maxNewTokens}. Every step runs in a sub-manager that is closed; only the cache
 * survives between steps, in the generation's own sub-manager.
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
        int[][] news = new int[b][];
        for (int r = 0; r < b; r++) {
            news[r] = Arrays.copyOfRange(full[r], len, full[r].length);
        }
        return DecodingLoop.untilEos(news, model.config().eosTokenId());
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
        int[][] generated;
        try (NDManager gen = model.manager().newSubManager()) {
            generated =
                    DecodingLoop.run(
                            b,
                            c.eosTokenId(),
                            padId(c),
                            config,
                            new CachedSteps(model, gen, inputIds, attentionMask, maxLen));
        }
        int[][] out = new int[b][];
        for (int r = 0; r < b; r++) {
            out[r] = Arrays.copyOf(inputIds[r], len + generated[r].length);
            System.arraycopy(generated[r], 0, out[r], len, generated[r].length);
        }
        return out;
    }

    /**
     * @return the pad id HF uses while generating: pad, else EOS, else 0
     */
    static int padId(LlamaConfig c) {
        return c.padTokenId() >= 0 ? c.padTokenId() : Math.max(c.eosTokenId(), 0);
    }

    /**
     * The model behind {@link DecodingLoop}: the first call runs the padded prompt with {@code
     * position_ids = cumsum(mask) - 1} (padded slots at 1), each later call one token per row with
     * the mask extended by 1 and the positions advanced by 1, reading and growing the cache.
     */
    private static final class CachedSteps implements DecodingLoop.Step {
        private final LlamaModel model;
        private final NDManager gen;
        private final KvCache cache;
        private final int[][] prompt;
        private final int b;
        private final int len;
        private final int maxLen;
        private final int[] maskFlat;
        private final int[] promptPos;
        private final int[] lastPos;
        private int produced;

        CachedSteps(
                LlamaModel model, NDManager gen, int[][] prompt, int[][] mask, int maxLen) {
            this.model = model;
            this.gen = gen;
            this.cache = new KvCache(model.config().numLayers());
            this.prompt = prompt;
            this.b = prompt.length;
            this.len = prompt[0].length;
            this.maxLen = maxLen;
            this.maskFlat = new int[b * maxLen];
            this.promptPos = new int[b * len];
            this.lastPos = new int[b];
            for (int r = 0; r < b; r++) {
                System.arraycopy(mask[r], 0, maskFlat, r * maxLen, len);
                int count = 0;
                for (int i = 0; i < len; i++) {
                    count += mask[r][i];
                    promptPos[r * len + i] = mask[r][i] == 0 ? 1 : count - 1;
                }
                lastPos[r] = count - 1;
            }
        }

        @Override
        public float[] logits(int @Nullable [] fed) {
            if (fed != null) {
                // the previous step's tokens join the mask and advance the positions
                for (int r = 0; r < b; r++) {
                    maskFlat[r * maxLen + len + produced] = 1;
                    lastPos[r]++;
                }
                produced++;
            }
            int stepLen = fed == null ? len : 1;
            int keys = len + produced;
            try (NDManager step = gen.newSubManager()) {
                NDArray ids =
                        step.create(fed == null ? flatten(prompt) : fed, new Shape(b, stepLen));
                NDArray mask = step.create(slice(maskFlat, b, maxLen, keys), new Shape(b, keys));
                NDArray pos =
                        step.create(fed == null ? promptPos : lastPos.clone(), new Shape(b, stepLen));
                NDArray logits = model.forward(ids, mask, pos, cache, Map.of());
                float[] last = logits.get(new NDIndex(":, -1, :")).toFloatArray();
                cache.attachAll(gen);
                return last;
            }
        }
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
