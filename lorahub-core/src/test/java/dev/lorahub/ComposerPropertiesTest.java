package dev.lorahub;

import static dev.lorahub.RandomModules.delta;
import static dev.lorahub.RandomModules.maxAbs;
import static dev.lorahub.RandomModules.relFrobenius;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded property tests of every merge strategy against closed-form truth computed in double from
 * the inputs (RandomModules). Tolerances: relative Frobenius 1e-5 on deltaW (float32 factors).
 */
class ComposerPropertiesTest {
    private static final double RTOL = 1e-5;

    static LongStream seeds() {
        return LongStream.range(1, 21);
    }

    static Stream<Arguments> seedsAndStrategies() {
        List<Arguments> out = new ArrayList<>();
        for (long seed = 1; seed <= 6; seed++) {
            for (MergeStrategy s : MergeStrategy.values()) {
                out.add(Arguments.of(seed, s));
            }
        }
        return out.stream();
    }

    private static Composer composer(MergeStrategy s, double density) {
        Composer c = Composer.of(s).seed(7);
        return s.needsDensity() ? c.density(density) : c;
    }

    @ParameterizedTest(name = "seed {0} {1}")
    @MethodSource("seedsAndStrategies")
    void one_module_with_weight_one_is_itself(long seed, MergeStrategy s) {
        LoraModule m = RandomModules.modules(seed, 1, true).get(0);
        LoraModule merged = composer(s, 1.0).merge("one", List.of(m), new double[] {1.0});
        for (LoraLayer l : m.layers().values()) {
            assertThat(relFrobenius(delta(merged.layers().get(l.modulePath())), delta(l)))
                    .as("seed %d %s %s", seed, s, l.modulePath())
                    .isLessThan(RTOL);
        }
    }

    @ParameterizedTest(name = "seed {0} {1}")
    @MethodSource("seedsAndStrategies")
    void zero_weights_give_a_zero_delta(long seed, MergeStrategy s) {
        List<LoraModule> ms = RandomModules.modules(seed, 3, s.needsEqualRanks() || seed % 2 == 0);
        LoraModule merged = composer(s, 0.5).merge("zero", ms, new double[3]);
        for (LoraLayer l : merged.layers().values()) {
            assertThat(maxAbs(delta(l)))
                    .as("seed %d %s %s", seed, s, l.modulePath())
                    .isEqualTo(0.0);
        }
    }

    @ParameterizedTest(name = "seed {0} {1}")
    @MethodSource("seedsAndStrategies")
    void permuting_module_weight_pairs_changes_nothing(long seed, MergeStrategy s) {
        int n = 4;
        List<LoraModule> ms = RandomModules.modules(seed, n, s.needsEqualRanks());
        double[] w = RandomModules.weights(seed, n);
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
        Collections.shuffle(order, new Random(seed));
        List<LoraModule> pm = new ArrayList<>();
        double[] pw = new double[n];
        for (int i = 0; i < n; i++) {
            pm.add(ms.get(order.get(i)));
            pw[i] = w[order.get(i)];
        }
        // LORAHUB takes module 0's scaling: give every module the same one for this property
        if (s == MergeStrategy.LORAHUB) {
            ms = sameScaling(ms);
            pm = sameScaling(pm);
        }
        LoraModule a = composer(s, 0.6).merge("a", ms, w);
        LoraModule b = composer(s, 0.6).merge("b", pm, pw);
        for (LoraLayer l : a.layers().values()) {
            assertThat(relFrobenius(delta(b.layers().get(l.modulePath())), delta(l)))
                    .as("seed %d %s order %s %s", seed, s, order, l.modulePath())
                    .isLessThan(RTOL);
        }
    }

    private static List<LoraModule> sameScaling(List<LoraModule> ms) {
        List<LoraModule> out = new ArrayList<>();
        for (LoraModule m : ms) {
            List<LoraLayer> layers = new ArrayList<>();
            m.layers().values().forEach(l -> layers.add(l.withScaling(1.5)));
            out.add(new LoraModule(m.name(), m.config(), layers));
        }
        return out;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void cat_delta_is_the_weighted_sum_of_deltas_for_any_ranks(long seed) {
        List<LoraModule> ms = RandomModules.modules(seed, 4, false);
        double[] w = RandomModules.weights(seed, 4);
        LoraModule cat = Composer.of(MergeStrategy.CAT).merge("cat", ms, w);
        int rankSum = ms.stream().mapToInt(m -> m.config().r()).sum();
        assertThat(cat.config().r()).as("seed %d", seed).isEqualTo(rankSum);
        assertThat(cat.config().loraAlpha()).as("seed %d", seed).isEqualTo(rankSum);
        for (LoraLayer l : cat.layers().values()) {
            double[] expected = weightedDeltaSum(ms, w, l.modulePath());
            assertThat(relFrobenius(delta(l), expected))
                    .as("seed %d %s", seed, l.modulePath())
                    .isLessThan(RTOL);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void svd_at_full_rank_is_the_exact_weighted_delta(long seed) {
        List<LoraModule> ms = RandomModules.modules(seed, 3, false);
        double[] w = RandomModules.weights(seed, 3);
        int rankSum = ms.stream().mapToInt(m -> m.config().r()).sum();
        LoraModule svd = Composer.of(MergeStrategy.SVD).svdRank(rankSum).merge("svd", ms, w);
        for (LoraLayer l : svd.layers().values()) {
            double[] expected = weightedDeltaSum(ms, w, l.modulePath());
            assertThat(relFrobenius(delta(l), expected))
                    .as("seed %d %s", seed, l.modulePath())
                    .isLessThan(RTOL);
            assertThat(l.rank()).isEqualTo(rankSum);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void svd_truncation_is_no_worse_than_any_other_rank_r_merge(long seed) {
        // Eckart-Young: the rank-R SVD is the best rank-R approximation of the exact delta, so
        // it beats LINEAR (also rank R) and the rank-R prefix of CAT. The SVD's factors are
        // orthogonal: A A^T = I.
        List<LoraModule> ms = RandomModules.modules(seed, 3, true);
        double[] w = RandomModules.weights(seed, 3);
        LoraModule svd = Composer.of(MergeStrategy.SVD).merge("svd", ms, w);
        LoraModule linear = Composer.of(MergeStrategy.LINEAR).merge("lin", ms, w);
        for (LoraLayer l : svd.layers().values()) {
            double[] exact = weightedDeltaSum(ms, w, l.modulePath());
            double svdErr = relFrobenius(delta(l), exact);
            double linErr = relFrobenius(delta(linear.layers().get(l.modulePath())), exact);
            assertThat(svdErr)
                    .as("seed %d %s", seed, l.modulePath())
                    .isLessThanOrEqualTo(linErr + 1e-6);
            float[] a = l.loraA();
            int in = l.inFeatures();
            for (int i = 0; i < l.rank(); i++) {
                for (int j = 0; j < l.rank(); j++) {
                    double dot = 0;
                    for (int k = 0; k < in; k++) {
                        dot += (double) a[i * in + k] * a[j * in + k];
                    }
                    assertThat(dot)
                            .as("seed %d A A^T[%d,%d]", seed, i, j)
                            .isCloseTo(
                                    i == j ? 1 : 0, org.assertj.core.api.Assertions.within(1e-5));
                }
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void lorahub_is_module_zero_scaling_times_summed_b_times_summed_a(long seed) {
        List<LoraModule> ms = RandomModules.modules(seed, 3, true);
        double[] w = RandomModules.weights(seed, 3);
        LoraModule merged = Composer.of(MergeStrategy.LORAHUB).merge("lh", ms, w);
        assertThat(merged.config().r()).isEqualTo(ms.get(0).config().r());
        assertThat(merged.config().loraAlpha()).isEqualTo(ms.get(0).config().loraAlpha());
        for (LoraLayer l : merged.layers().values()) {
            String p = l.modulePath();
            LoraLayer l0 = ms.get(0).layers().get(p);
            float[] sumA = new float[l0.loraA().length];
            float[] sumB = new float[l0.loraB().length];
            for (int i = 0; i < 3; i++) {
                LoraLayer li = ms.get(i).layers().get(p);
                for (int k = 0; k < sumA.length; k++) {
                    sumA[k] += (float) (w[i] * li.loraA()[k]);
                }
                for (int k = 0; k < sumB.length; k++) {
                    sumB[k] += (float) (w[i] * li.loraB()[k]);
                }
            }
            double[] expected =
                    RandomModules.product(
                            sumB, sumA, l0.outFeatures(), l0.rank(), l0.inFeatures(), l0.scaling());
            assertThat(relFrobenius(delta(l), expected)).as("seed %d %s", seed, p).isLessThan(RTOL);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void lorahub_with_one_module_scales_its_delta_by_the_weight_squared(long seed) {
        LoraModule m = RandomModules.modules(seed, 1, true).get(0);
        double w = RandomModules.weights(seed, 1)[0];
        LoraModule merged =
                Composer.of(MergeStrategy.LORAHUB).merge("w", List.of(m), new double[] {w});
        for (LoraLayer l : m.layers().values()) {
            double[] expected = delta(l);
            for (int i = 0; i < expected.length; i++) {
                expected[i] *= w * w;
            }
            assertThat(relFrobenius(delta(merged.layers().get(l.modulePath())), expected))
                    .as("seed %d w %f", seed, w)
                    .isLessThan(RTOL);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void linear_puts_the_sign_on_a_so_negative_weights_work(long seed) {
        List<LoraModule> ms = RandomModules.modules(seed, 3, true);
        double[] w = RandomModules.weights(seed, 3);
        LoraModule merged = Composer.of(MergeStrategy.LINEAR).merge("lin", ms, w);
        assertThat(merged.config().loraAlpha()).isEqualTo(merged.config().r());
        for (LoraLayer l : merged.layers().values()) {
            String p = l.modulePath();
            LoraLayer l0 = ms.get(0).layers().get(p);
            double[] sa = new double[l0.loraA().length];
            double[] sb = new double[l0.loraB().length];
            for (int i = 0; i < 3; i++) {
                LoraLayer li = ms.get(i).layers().get(p);
                double c = w[i] * li.scaling();
                double root = Math.sqrt(Math.abs(c));
                for (int k = 0; k < sa.length; k++) {
                    sa[k] += Math.signum(c) * root * li.loraA()[k];
                }
                for (int k = 0; k < sb.length; k++) {
                    sb[k] += root * li.loraB()[k];
                }
            }
            double[] expected = new double[l0.outFeatures() * l0.inFeatures()];
            for (int o = 0; o < l0.outFeatures(); o++) {
                for (int k = 0; k < l0.rank(); k++) {
                    for (int j = 0; j < l0.inFeatures(); j++) {
                        expected[o * l0.inFeatures() + j] +=
                                sb[o * l0.rank() + k] * sa[k * l0.inFeatures() + j];
                    }
                }
            }
            assertThat(relFrobenius(delta(l), expected)).as("seed %d %s", seed, p).isLessThan(RTOL);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void dare_is_reproducible_for_a_seed_and_changes_with_it(long seed) {
        List<LoraModule> ms = RandomModules.modules(seed, 3, true);
        double[] w = RandomModules.weights(seed, 3);
        for (MergeStrategy s : List.of(MergeStrategy.DARE_LINEAR, MergeStrategy.DARE_TIES)) {
            Composer c = Composer.of(s).density(0.5).seed(seed);
            LoraModule a = c.merge("a", ms, w);
            LoraModule b = c.merge("b", ms, w);
            LoraModule other = c.seed(seed + 1000).merge("c", ms, w);
            String p = RandomModules.PATHS.get(0);
            assertThat(b.layers().get(p).loraA())
                    .as("seed %d %s", seed, s)
                    .containsExactly(a.layers().get(p).loraA());
            assertThat(other.layers().get(p).loraA())
                    .as("seed %d %s", seed, s)
                    .isNotEqualTo(a.layers().get(p).loraA());
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void merged_modules_save_and_reload_with_the_same_ranks_and_scalings(long seed)
            throws java.io.IOException {
        // modules with different alphas and, for CAT/SVD, different ranks: the result config
        // must describe every merged layer exactly once written as adapter_config.json
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("merged");
        try {
            List<LoraModule> ms = RandomModules.modules(seed, 3, false);
            double[] w = RandomModules.weights(seed, 3);
            for (MergeStrategy s : List.of(MergeStrategy.CAT, MergeStrategy.SVD)) {
                LoraModule merged = Composer.of(s).merge("m", ms, w);
                java.nio.file.Path out = dir.resolve(s.name());
                merged.save(out);
                LoraModule back = LoraModule.load(out);
                assertThat(back.config().useRslora()).isFalse();
                for (LoraLayer l : merged.layers().values()) {
                    LoraLayer r = back.layers().get(l.modulePath());
                    assertThat(r.rank()).as("seed %d %s", seed, s).isEqualTo(l.rank());
                    assertThat(r.scaling()).as("seed %d %s", seed, s).isEqualTo(l.scaling());
                    assertThat(r.loraA()).containsExactly(l.loraA());
                }
            }
        } finally {
            try (var walk = java.nio.file.Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double[] weightedDeltaSum(List<LoraModule> ms, double[] w, String path) {
        double[] sum = null;
        for (int i = 0; i < ms.size(); i++) {
            double[] d = delta(ms.get(i).layers().get(path));
            if (sum == null) {
                sum = new double[d.length];
            }
            for (int k = 0; k < d.length; k++) {
                sum[k] += w[i] * d[k];
            }
        }
        return sum;
    }
}
