package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.io.AdapterConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DARE_LINEAR and DARE_TIES at density below 1. Their masks are random, so PEFT's bits cannot be
 * matched; these tests check what the masks cannot change (PEFT {@code merge_utils}: {@code
 * random_pruning(rescale=True)} keeps each entry with probability d and divides it by d; {@code
 * dare_ties} then elects a sign per entry on the unweighted pruned tensors and averages the kept
 * entries of that sign, {@code dare_linear} sums them).
 *
 * <p>Every module here has scaling 1 (alpha = r) and weight 1, so Composer's factor weights sqrt(w
 * s) are exactly 1 and each merged entry is a plain function of the inputs {@code x_i[j]}, the
 * density and the (unknown) set K of modules whose entry j survived.
 */
class ComposerDareTest {
    private static final String PATH = "model.layers.0.self_attn.q_proj";
    private static final int RANK = 4;
    private static final int IN = 256;
    private static final int OUT = 256;

    /**
     * Tolerance when comparing a merged entry with a candidate computed in double, relative to the
     * sum of the magnitudes of the terms ({@code sum_i |x_i| / d}): the merge works in float32 (x /
     * d, a sum of up to three, a division by the count), whose rounding error is a few ulps of that
     * sum, also where the terms cancel.
     */
    private static final double RTOL = 1e-5;

    private static LoraModule module(String name, float[] a, float[] b) {
        LoraLayer l = new LoraLayer(PATH, RANK, IN, OUT, a, b, 1.0, false);
        return new LoraModule(
                name, new AdapterConfig("base", RANK, RANK, List.of("q_proj")), List.of(l));
    }

    private static List<LoraModule> gaussianModules(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LoraModule> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ms.add(
                    module(
                            "m" + i,
                            RandomModules.gaussian(rnd, RANK * IN),
                            RandomModules.gaussian(rnd, OUT * RANK)));
        }
        return ms;
    }

    private static double[] ones(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1.0);
        return w;
    }

    private static boolean close(double actual, double expected, double scale) {
        return Math.abs(actual - expected) <= RTOL * scale;
    }

    private static double scale(double[] x, double d) {
        double s = 0;
        for (double v : x) {
            s += Math.abs(v) / d;
        }
        return s;
    }

    /** Whether o is TIES of some survivor set K: mean of the kept x_i/d of the elected sign. */
    private static boolean tiesOfSomeMask(double o, double[] x, double d) {
        for (int k = 0; k < 1 << x.length; k++) {
            double vote = 0;
            for (int i = 0; i < x.length; i++) {
                if ((k >> i & 1) != 0) {
                    vote += x[i] / d;
                }
            }
            double elected = vote >= 0 ? 1 : -1;
            double sum = 0;
            int count = 0;
            for (int i = 0; i < x.length; i++) {
                if ((k >> i & 1) != 0 && Math.signum(x[i]) == elected) {
                    sum += x[i] / d;
                    count++;
                }
            }
            if (close(o, count == 0 ? 0 : sum / count, scale(x, d))) {
                return true;
            }
        }
        return false;
    }

    /** Whether o is DARE_LINEAR of some survivor set K: the sum of the kept x_i/d. */
    private static boolean sumOfSomeMask(double o, double[] x, double d) {
        for (int k = 0; k < 1 << x.length; k++) {
            double sum = 0;
            for (int i = 0; i < x.length; i++) {
                if ((k >> i & 1) != 0) {
                    sum += x[i] / d;
                }
            }
            if (close(o, sum, scale(x, d))) {
                return true;
            }
        }
        return false;
    }

    /** [consistent with TIES, consistent with a sum] counts over every entry of A and B. */
    private static int[] classify(MergeStrategy s, long seed, double d) {
        List<LoraModule> ms = gaussianModules(seed, 3);
        LoraLayer merged =
                Composer.of(s).density(d).seed(seed).merge("m", ms, ones(3)).layers().get(PATH);
        int[] counts = new int[3];
        for (boolean isA : new boolean[] {true, false}) {
            float[] o = isA ? merged.loraA() : merged.loraB();
            float[][] xs = new float[3][];
            for (int i = 0; i < 3; i++) {
                LoraLayer l = ms.get(i).layers().get(PATH);
                xs[i] = isA ? l.loraA() : l.loraB();
            }
            for (int j = 0; j < o.length; j++) {
                double[] x = {xs[0][j], xs[1][j], xs[2][j]};
                counts[0] += tiesOfSomeMask(o[j], x, d) ? 1 : 0;
                counts[1] += sumOfSomeMask(o[j], x, d) ? 1 : 0;
                counts[2]++;
            }
        }
        return counts;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void dare_ties_entries_are_the_mean_of_the_survivors_of_the_elected_sign(long seed) {
        int[] c = classify(MergeStrategy.DARE_TIES, seed, 0.5);
        assertThat(c[0]).as("seed %d: entries explained by sign election", seed).isEqualTo(c[2]);
        // with d = 1/2 and three modules half the entries keep two or more inputs; where they
        // agree in sign TIES averages them, which no sum of survivors reproduces
        assertThat(c[2] - c[1])
                .as("seed %d: entries no plain sum explains", seed)
                .isGreaterThan(c[2] / 5);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void dare_linear_entries_are_the_sum_of_the_survivors(long seed) {
        int[] c = classify(MergeStrategy.DARE_LINEAR, seed, 0.5);
        assertThat(c[1]).as("seed %d: entries explained as a sum", seed).isEqualTo(c[2]);
        assertThat(c[2] - c[0])
                .as("seed %d: entries no sign election explains", seed)
                .isGreaterThan(c[2] / 5);
    }

    @Test
    void dare_ties_never_mixes_opposite_signs_the_elected_majority_wins() {
        // x0 = u > 0, x1 = -3u: wherever x1 survives the elected sign is negative and the entry is
        // x1/d alone; only where x1 was dropped can x0/d appear. DARE_LINEAR would give
        // (x0 + x1)/d = -2u/d where both survive.
        SplittableRandom rnd = new SplittableRandom(7);
        float[] u = new float[RANK * IN];
        for (int j = 0; j < u.length; j++) {
            u[j] = (float) rnd.nextDouble(0.1, 1.0);
        }
        float[] neg = new float[u.length];
        for (int j = 0; j < u.length; j++) {
            neg[j] = -3 * u[j];
        }
        float[] b = RandomModules.gaussian(rnd, OUT * RANK);
        List<LoraModule> ms = List.of(module("pos", u, b), module("neg", neg, b));
        double d = 0.5;
        for (MergeStrategy s : List.of(MergeStrategy.DARE_TIES, MergeStrategy.DARE_LINEAR)) {
            float[] o =
                    Composer.of(s)
                            .density(d)
                            .seed(11)
                            .merge("m", ms, ones(2))
                            .layers()
                            .get(PATH)
                            .loraA();
            int negOnly = 0;
            int posOnly = 0;
            int zero = 0;
            int mixed = 0;
            for (int j = 0; j < o.length; j++) {
                if (o[j] == 0) {
                    zero++;
                } else if (close(o[j], neg[j] / d, 4 * u[j] / d)) {
                    negOnly++;
                } else if (close(o[j], u[j] / d, 4 * u[j] / d)) {
                    posOnly++;
                } else if (close(o[j], (u[j] + (double) neg[j]) / d, 4 * u[j] / d)) {
                    mixed++;
                }
            }
            assertThat(zero + negOnly + posOnly + mixed)
                    .as("%s: every entry classified", s)
                    .isEqualTo(o.length);
            int n = o.length;
            // x1 survives with probability d: binomial(n, 1/2), 5 sigma = 5 * sqrt(n) / 2
            double fiveSigma = 5 * Math.sqrt(n * d * (1 - d));
            if (s == MergeStrategy.DARE_TIES) {
                assertThat(mixed).as("TIES never sums opposite signs").isZero();
                assertThat((double) negOnly).as("x1 survived").isCloseTo(n * d, within(fiveSigma));
            } else {
                assertThat(mixed).as("LINEAR sums whatever survived").isGreaterThan(n / 8);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = MergeStrategy.class,
            names = {"DARE_LINEAR", "DARE_TIES"})
    void one_module_keeps_a_density_fraction_of_entries_each_divided_by_the_density(
            MergeStrategy s) {
        double d = 0.3;
        List<LoraModule> ms = gaussianModules(42, 1);
        LoraLayer in = ms.get(0).layers().get(PATH);
        LoraLayer merged =
                Composer.of(s).density(d).seed(5).merge("m", ms, ones(1)).layers().get(PATH);
        float[] x = in.loraA();
        float[] o = merged.loraA();
        int kept = 0;
        double ratioSum = 0;
        for (int j = 0; j < x.length; j++) {
            if (o[j] != 0) {
                kept++;
                assertThat(close(o[j], x[j] / d, Math.abs(x[j]) / d))
                        .as("%s entry %d: %s vs %s / %s", s, j, o[j], x[j], d)
                        .isTrue();
            }
            ratioSum += o[j] / (double) x[j];
        }
        int n = x.length;
        double fiveSigma = 5 * Math.sqrt(n * d * (1 - d));
        assertThat((double) kept).as("%s kept of %d", s, n).isCloseTo(n * d, within(fiveSigma));
        // E[o/x] = d * (1/d) = 1: the rescaling keeps the expectation; its standard error is
        // sqrt((1 - d) / (d n))
        double se = Math.sqrt((1 - d) / (d * n));
        assertThat(ratioSum / n).as("%s mean o/x", s).isCloseTo(1.0, within(5 * se));
    }
}
