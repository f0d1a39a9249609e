package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.spi.GenerationConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Greedy or seeded-sampling generation for a T5 model, as HF's {@code generate} with {@code
 * num_beams = 1}: the encoder runs once; the decoder starts from {@code decoder_start_token_id} and
 * advances one position per step with a {@link T5DecoderCache} (self-attention keys and values
 * grown, cross-attention keys and values computed once). A row that has emitted EOS is finished: HF
 * would feed it pad tokens; here it simply stops, and generation ends when every row has finished
 * or {@code maxNewTokens} is reached.
 *
 * <p>Greedy picks the first index of the largest logit. Sampling draws from {@code softmax(logits /
 * temperature)} with a {@link SplittableRandom} seeded by the config, one draw per unfinished row
 * per step in row order, so a seed gives the same ids on every run.
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
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            out.add(new ArrayList<>());
        }
        boolean[] finished = new boolean[batch];
        SplittableRandom random = new SplittableRandom(gen.seed());
        try (NDManager m = parent.newSubManager()) {
            NDArray maskBias = layout.maskBias(m);
            NDArray encoded = forward.encode(layout.inputIds(m), maskBias);
            T5DecoderCache cache = new T5DecoderCache(c.numDecoderLayers());
            long[] next = new long[batch];
            Arrays.fill(next, c.decoderStartTokenId());
            int unfinished = batch;
            for (int step = 0; step < gen.maxNewTokens() && unfinished > 0; step++) {
                float[] logits;
                try (NDManager stepManager = m.newSubManager()) {
                    NDArray ids = stepManager.create(next, new Shape(batch, 1));
                    NDArray[] before = snapshot(cache);
                    logits = forward.decode(ids, encoded, maskBias, cache).toFloatArray();
                    keep(cache, before, m);
                }
                int vocab = logits.length / batch;
                for (int b = 0; b < batch; b++) {
                    if (finished[b]) {
                        next[b] = c.padTokenId();
                        continue;
                    }
                    int token =
                            gen.temperature() == 0
                                    ? argmax(logits, b * vocab, vocab)
                                    : sample(logits, b * vocab, vocab, gen.temperature(), random);
                    out.get(b).add(token);
                    next[b] = token;
                    if (token == c.eosTokenId()) {
                        finished[b] = true;
                        unfinished--;
                    }
                }
            }
        }
        List<int[]> result = new ArrayList<>();
        for (List<Integer> row : out) {
            result.add(row.stream().mapToInt(Integer::intValue).toArray());
        }
        return result;
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

    /**
     * @return the first index of the largest value in {@code v[off .. off + n)}
     */
    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** One draw from {@code softmax(v[off .. off + n) / temperature)}. */
    static int sample(float[] v, int off, int n, double temperature, SplittableRandom random) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[off + i] / temperature);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(v[off + i] / temperature - max);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[i];
            if (u < acc) {
                return i;
            }
        }
        return n - 1;
    }
}
