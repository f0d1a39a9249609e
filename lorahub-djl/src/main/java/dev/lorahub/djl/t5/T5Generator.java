package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.internal.DecodingLoop;
import dev.lorahub.model.GenerationConfig;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy or seeded-sampling generation for a T5 model, as HF's {@code generate} with {@code
 * num_beams = 1}: the encoder runs once; the decoder starts from {@code decoder_start_token_id} and
 * advances one position per step with a {@link T5DecoderCache} (self-attention keys and values
 * grown, cross-attention keys and values computed once). The loop and the token choice (greedy,
 * temperature, top-k, top-p, one seeded random source) are {@link DecodingLoop} and {@link
 * dev.lorahub.spi.TokenChooser}, shared with LLaMA: a row that has emitted EOS is fed pad tokens, as
 * HF does, and its result ends at the EOS; generation ends when every row has finished or {@code
 * maxNewTokens} is reached.
 *
 * <p>Memory: each step runs in its own sub-manager; only the cache moves to the generation's
 * manager, and the arrays it replaces are freed at once.
 */
final class T5Generator {
    private final T5Forward forward;

    T5Generator(T5Forward forward) {
        this.forward = forward;
    }

    /**
     * @param parent the manager under which a closed sub-manager runs the generation
     * @param prompts encoder ids per row, unpadded, non-empty
     * @param gen greedy or sampling
     * @return per row the new ids, ending with EOS when one was emitted
     */
    List<int[]> generate(NDManager parent, List<int[]> prompts, GenerationConfig gen) {
        T5Config c = forward.config();
        int batch = prompts.size();
        if (batch == 0) {
            return List.of();
        }
        T5Batch layout = T5Batch.ofPrompts(prompts, c);
        int[][] generated;
        try (NDManager m = parent.newSubManager()) {
            NDArray maskBias = layout.maskBias(m);
            NDArray encoded = forward.encode(layout.inputIds(m), maskBias);
            T5DecoderCache cache = new T5DecoderCache(c.numDecoderLayers());
            int[] start = new int[batch];
            Arrays.fill(start, c.decoderStartTokenId());
            generated =
                    DecodingLoop.run(
                            batch,
                            c.eosTokenId(),
                            c.padTokenId(),
                            gen,
                            fed -> {
                                try (NDManager step = m.newSubManager()) {
                                    long[] next =
                                            Arrays.stream(fed == null ? start : fed)
                                                    .asLongStream()
                                                    .toArray();
                                    NDArray ids = step.create(next, new Shape(batch, 1));
                                    NDArray[] before = snapshot(cache);
                                    float[] logits =
                                            forward.decode(ids, encoded, maskBias, cache)
                                                    .toFloatArray();
                                    keep(cache, before, m);
                                    return logits;
                                }
                            });
        }
        return DecodingLoop.untilEos(generated, c.eosTokenId());
    }

    private static NDArray[] snapshot(T5DecoderCache cache) {
        int n = cache.selfKeys.length;
        NDArray[] s = new NDArray[2 * n];
        System.arraycopy(cache.selfKeys, 0, s, 0, n);
        System.arraycopy(cache.selfValues, 0, s, n, n);
        return s;
    }

    /** Moves this step's cache arrays to the generation manager and frees the replaced ones. */
    private static void keep(T5DecoderCache cache, NDArray[] before, NDManager m) {
        int n = cache.selfKeys.length;
        for (int i = 0; i < n; i++) {
            moveReplacing(cache.selfKeys[i], before[i], m);
            moveReplacing(cache.selfValues[i], before[n + i], m);
            if (cache.crossKeys[i].getManager() != m) {
                cache.crossKeys[i].attach(m);
                cache.crossValues[i].attach(m);
            }
        }
    }

    private static void moveReplacing(NDArray current, NDArray previous, NDManager m) {
        if (current != previous) {
            current.attach(m);
            if (previous != null) {
                previous.close();
            }
        }
    }
}
