package dev.lorahub.djl.t5;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The token choice of T5Generator against closed forms. */
class T5GeneratorTest {
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void sampling_frequencies_follow_the_tempered_softmax(long seed) {
        Random r = new Random(seed);
        int n = 6;
        float[] logits = new float[n + 3];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (3 * r.nextGaussian());
        }
        int off = 3; // a row that starts inside a [batch * vocab] array
        double temperature = 0.5 + r.nextDouble() * 2;
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(logits[off + i] / temperature);
            sum += p[i];
        }
        int draws = 40_000;
        int[] counts = new int[n];
        SplittableRandom random = new SplittableRandom(seed);
        for (int d = 0; d < draws; d++) {
            counts[T5Generator.sample(logits, off, n, temperature, random)]++;
        }
        for (int i = 0; i < n; i++) {
            double expected = p[i] / sum;
            double sigma = Math.sqrt(expected * (1 - expected) / draws);
            assertThat((double) counts[i] / draws)
                    .as("seed %d token %d, T %.3f", seed, i, temperature)
                    .isBetween(expected - 5 * sigma - 1e-9, expected + 5 * sigma + 1e-9);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {5, 6, 7})
    void argmax_takes_the_first_of_equal_maxima(long seed) {
        Random r = new Random(seed);
        float[] v = new float[20];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(5);
        }
        int best = 0;
        for (int i = 0; i < 10; i++) {
            if (v[5 + i] > v[5 + best]) {
                best = i;
            }
        }
        float max = v[5 + best];
        int first = 0;
        while (v[5 + first] != max) {
            first++;
        }
        assertThat(T5Generator.argmax(v, 5, 10)).as("seed %d", seed).isEqualTo(first);
    }
}
