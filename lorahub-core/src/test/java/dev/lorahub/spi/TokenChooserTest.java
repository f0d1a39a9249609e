package dev.lorahub.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.model.GenerationConfig;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** TokenChooser against closed forms: tempered softmax, top-k and top-p sets, argmax ties. */
class TokenChooserTest {
    private static final int DRAWS = 40_000;

    /** Frequencies of {@code DRAWS} choices of the row at {@code off}. */
    private static double[] frequencies(GenerationConfig c, float[] logits, int off, int n) {
        TokenChooser chooser = new TokenChooser(c);
        double[] f = new double[n];
        for (int d = 0; d < DRAWS; d++) {
            f[chooser.choose(logits, off, n)] += 1.0 / DRAWS;
        }
        return f;
    }

    /**
     * Each token's count within 5 binomial sigmas plus 3 draws of its expected count (the 3 draws
     * keep a token of probability 1e-6 from failing on one lucky draw; a token of probability 0
     * may still be drawn at most 3 times in 40,000, which the top-k/top-p tests check exactly).
     */
    private static void assertFollows(double[] f, double[] p, String what) {
        for (int i = 0; i < p.length; i++) {
            double expected = DRAWS * p[i];
            double slack = 5 * Math.sqrt(expected * (1 - p[i])) + 3;
            assertThat(f[i] * DRAWS)
                    .as("%s: count of token %d in %d draws", what, i, DRAWS)
                    .isBetween(expected - slack, expected + slack);
        }
    }

    private static void assertNeverDrawn(double[] f, boolean[] keep, String what) {
        for (int i = 0; i < keep.length; i++) {
            if (!keep[i]) {
                assertThat(f[i]).as("%s: filtered token %d", what, i).isZero();
            }
        }
    }

    /** softmax(logits[off..off+n) / t) restricted to {@code keep}, renormalised. */
    private static double[] softmax(float[] logits, int off, int n, double t, boolean[] keep) {
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = keep[i] ? Math.exp(logits[off + i] / t) : 0;
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static float[] randomLogits(Random r, int size) {
        float[] logits = new float[size];
        for (int i = 0; i < size; i++) {
            logits[i] = (float) (3 * r.nextGaussian());
        }
        return logits;
    }

    private static boolean[] all(int n) {
        boolean[] keep = new boolean[n];
        Arrays.fill(keep, true);
        return keep;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void sampling_frequencies_follow_the_tempered_softmax(long seed) {
        Random r = new Random(seed);
        int n = 6;
        float[] logits = randomLogits(r, n + 3);
        int off = 3; // a row that starts inside a [batch * vocab] array
        double t = 0.5 + r.nextDouble() * 2;
        double[] f = frequencies(new GenerationConfig(1, t, seed), logits, off, n);
        assertFollows(f, softmax(logits, off, n, t, all(n)), "seed " + seed + " T " + t);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13})
    void top_k_keeps_the_k_largest_logits_renormalised(long seed) {
        Random r = new Random(seed);
        int n = 9;
        float[] logits = randomLogits(r, n);
        int k = 1 + r.nextInt(n - 1);
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = logits[i] >= sorted[n - k];
        }
        double[] f = frequencies(new GenerationConfig(1, 1.3, seed).withTopK(k), logits, 0, n);
        assertFollows(f, softmax(logits, 0, n, 1.3, keep), "seed " + seed + " k " + k);
        assertNeverDrawn(f, keep, "seed " + seed + " k " + k);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23})
    void top_p_keeps_the_smallest_most_likely_set_reaching_p(long seed) {
        Random r = new Random(seed);
        int n = 8;
        float[] logits = randomLogits(r, n);
        double topP = 0.3 + 0.6 * r.nextDouble();
        double t = 0.8;
        double[] full = softmax(logits, 0, n, t, all(n));
        // descending: take tokens until the mass taken reaches topP (HF keeps the token that
        // crosses the threshold)
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(full[b], full[a]));
        boolean[] keep = new boolean[n];
        double mass = 0;
        for (Integer i : order) {
            keep[i] = true;
            mass += full[i];
            if (mass >= topP) {
                break;
            }
        }
        double[] f = frequencies(new GenerationConfig(1, t, seed).withTopP(topP), logits, 0, n);
        assertFollows(f, softmax(logits, 0, n, t, keep), "seed " + seed + " p " + topP);
        assertNeverDrawn(f, keep, "seed " + seed + " p " + topP);
    }

    @ParameterizedTest(name = "top-p {0} keeps {1} tokens")
    @CsvSource({"0.45, 1", "0.55, 2", "0.79, 2", "0.81, 3", "0.96, 4"})
    void top_p_keeps_the_token_that_crosses_the_threshold_and_nothing_after_it(
            double topP, int kept) {
        // GIVEN probabilities 0.5, 0.3, 0.15, 0.05 (logits = their logs, T = 1): descending
        // cumulative mass 0.5, 0.8, 0.95, 1.0, so top-p keeps the first token whose cumulative
        // mass reaches topP
        float[] logits = {
            (float) Math.log(0.15), (float) Math.log(0.5), (float) Math.log(0.05),
            (float) Math.log(0.3)
        };
        int[] byRank = {1, 3, 0, 2};
        boolean[] keep = new boolean[4];
        for (int r = 0; r < kept; r++) {
            keep[byRank[r]] = true;
        }
        double[] f = frequencies(new GenerationConfig(1, 1.0, 31).withTopP(topP), logits, 0, 4);
        assertNeverDrawn(f, keep, "top-p " + topP);
        assertFollows(f, softmax(logits, 0, 4, 1.0, keep), "top-p " + topP);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {5, 6, 7})
    void greedy_takes_the_first_of_equal_maxima(long seed) {
        Random r = new Random(seed);
        float[] v = new float[20];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(5);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 5; i < 15; i++) {
            max = Math.max(max, v[i]);
        }
        int first = 0;
        while (v[5 + first] != max) {
            first++;
        }
        assertThat(TokenChooser.argmax(v, 5, 10)).as("seed %d", seed).isEqualTo(first);
        assertThat(new TokenChooser(GenerationConfig.greedy(1)).choose(v, 5, 10)).isEqualTo(first);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {8, 9})
    void a_seed_gives_the_same_draws(long seed) {
        float[] logits = randomLogits(new Random(seed), 50);
        GenerationConfig c = new GenerationConfig(1, 1.0, seed);
        TokenChooser a = new TokenChooser(c);
        TokenChooser b = new TokenChooser(c);
        for (int i = 0; i < 100; i++) {
            assertThat(a.choose(logits, 0, 50)).isEqualTo(b.choose(logits, 0, 50));
        }
    }
}
