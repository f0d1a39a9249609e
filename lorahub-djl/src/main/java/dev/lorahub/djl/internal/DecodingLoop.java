package dev.lorahub.djl.internal;

import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.TokenChooser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The generation loop both model families share, as Hugging Face's {@code generate} with {@code
 * num_beams = 1}: ask the model for the next-token logits of every row, choose one token per
 * unfinished row with one {@link TokenChooser} (rows in order, so a seed fixes the result), feed
 * the chosen tokens back; a row that has emitted EOS is finished and is fed {@code pad}; stop when
 * every row has finished or after {@code maxNewTokens}.
 */
public final class DecodingLoop {
    private DecodingLoop() {}

    /** One forward of a model that keeps its own cache between calls. */
    @FunctionalInterface
    public interface Step {
        /**
         * @param fed the tokens chosen at the previous step, one per row (pad for finished rows);
         *     null on the first call (the prompt, or the decoder start)
         * @return the logits of the next position, {@code [B * V]} row-major
         */
        float[] logits(int @Nullable [] fed);
    }

    /**
     * @param batch B
     * @param eos the EOS id (a row that emits it is finished), -1 for none
     * @param pad the id fed to and recorded for finished rows
     * @param config greedy or sampling
     * @param step the model
     * @return {@code [B][n]}: the chosen ids, {@code n <= maxNewTokens}, pad after a row's EOS
     */
    public static int[][] run(int batch, int eos, int pad, GenerationConfig config, Step step) {
        TokenChooser chooser = new TokenChooser(config);
        int[][] out = new int[batch][config.maxNewTokens()];
        boolean[] done = new boolean[batch];
        int produced = 0;
        int[] fed = null;
        while (produced < config.maxNewTokens()) {
            float[] logits = step.logits(fed);
            int vocab = logits.length / batch;
            int[] next = new int[batch];
            boolean allDone = true;
            for (int r = 0; r < batch; r++) {
                if (done[r]) {
                    next[r] = pad;
                } else {
                    next[r] = chooser.choose(logits, r * vocab, vocab);
                    done[r] = next[r] == eos;
                }
                allDone &= done[r];
                out[r][produced] = next[r];
            }
            produced++;
            if (allDone) {
                break;
            }
            fed = next;
        }
        for (int r = 0; r < batch; r++) {
            out[r] = Arrays.copyOf(out[r], produced);
        }
        return out;
    }

    /**
     * @param rows the result of {@link #run}
     * @param eos the EOS id
     * @return per row the ids up to and including the first EOS (all of them if none)
     */
    public static List<int[]> untilEos(int[][] rows, int eos) {
        List<int[]> out = new ArrayList<>();
        for (int[] row : rows) {
            int end = row.length;
            for (int i = 0; i < row.length; i++) {
                if (row[i] == eos) {
                    end = i + 1;
                    break;
                }
            }
            out.add(Arrays.copyOf(row, end));
        }
        return out;
    }
}
