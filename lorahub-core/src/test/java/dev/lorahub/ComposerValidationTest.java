package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.io.AdapterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every IncompatibleModulesException case of Composer.merge, and the settings' misuse. */
class ComposerValidationTest {
    private static final String Q0 = RandomModules.PATHS.get(0);

    private static List<LoraModule> three() {
        return RandomModules.modules(42, 3, true);
    }

    /** A copy of module m in which layer {@code path} is replaced by one of other shapes. */
    private static LoraModule withLayer(
            LoraModule m, String path, int rank, int in, int out, boolean fan) {
        SplittableRandom rnd = new SplittableRandom(9);
        List<LoraLayer> layers = new ArrayList<>();
        for (LoraLayer l : m.layers().values()) {
            layers.add(
                    l.modulePath().equals(path)
                            ? new LoraLayer(
                                    path,
                                    rank,
                                    in,
                                    out,
                                    RandomModules.gaussian(rnd, rank * in),
                                    RandomModules.gaussian(rnd, out * rank),
                                    1.0,
                                    fan)
                            : l);
        }
        return new LoraModule(m.name(), m.config(), layers);
    }

    @ParameterizedTest
    @EnumSource(MergeStrategy.class)
    void rejects_an_empty_module_list(MergeStrategy s) {
        assertThatThrownBy(() -> Composer.of(s).density(0.5).merge("x", List.of(), new double[0]))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void rejects_a_weight_count_other_than_the_module_count() {
        assertThatThrownBy(
                        () ->
                                Composer.of(MergeStrategy.LORAHUB)
                                        .merge("x", three(), new double[] {1, 2}))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("2 weights for 3 modules")
                .hasMessageContaining("'m0', 'm1', 'm2'");
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejects_non_finite_weights_naming_the_module(double bad) {
        assertThatThrownBy(
                        () ->
                                Composer.of(MergeStrategy.CAT)
                                        .merge("x", three(), new double[] {1, bad, 0.5}))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("module 'm1'")
                .hasMessageContaining(String.valueOf(bad));
    }

    @Test
    void rejects_a_module_missing_a_layer() {
        List<LoraModule> ms = new ArrayList<>(three());
        LoraModule m1 = ms.get(1);
        List<LoraLayer> fewer = new ArrayList<>(m1.layers().values());
        fewer.remove(0);
        ms.set(1, new LoraModule("m1", m1.config(), fewer));
        assertThatThrownBy(() -> Composer.of(MergeStrategy.CAT).merge("x", ms, new double[3]))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("module 'm1' has no layer '" + Q0 + "'")
                .hasMessageContaining("module 'm0'")
                .hasMessageContaining("lora_A 3x5");
    }

    @Test
    void rejects_a_module_with_an_extra_layer() {
        List<LoraModule> ms = new ArrayList<>(three());
        LoraModule m2 = ms.get(2);
        List<LoraLayer> more = new ArrayList<>(m2.layers().values());
        more.add(new LoraLayer("extra.k_proj", 3, 4, 4, new float[12], new float[12], 1, false));
        ms.set(2, new LoraModule("m2", m2.config(), more));
        assertThatThrownBy(() -> Composer.of(MergeStrategy.SVD).merge("x", ms, new double[3]))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("module 'm2' targets layer 'extra.k_proj'")
                .hasMessageContaining("'m0' does not");
    }

    @ParameterizedTest
    @EnumSource(MergeStrategy.class)
    void rejects_different_base_shapes_naming_both(MergeStrategy s) {
        List<LoraModule> ms = new ArrayList<>(three());
        ms.set(1, withLayer(ms.get(1), Q0, 3, 6, 7, false));
        assertThatThrownBy(() -> Composer.of(s).density(0.5).merge("x", ms, new double[3]))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("layer '" + Q0 + "'")
                .hasMessageContaining("module 'm1' has lora_A 3x6, lora_B 7x3")
                .hasMessageContaining("module 'm0' has lora_A 3x5, lora_B 7x3")
                .hasMessageContaining("base shapes");
    }

    @ParameterizedTest
    @EnumSource(MergeStrategy.class)
    void rejects_different_ranks_exactly_where_the_strategy_needs_equal_ones(MergeStrategy s) {
        List<LoraModule> ms = new ArrayList<>(three());
        ms.set(2, withLayer(ms.get(2), Q0, 5, 5, 7, false));
        Composer c = Composer.of(s).density(0.5);
        if (s.needsEqualRanks()) {
            assertThatThrownBy(() -> c.merge("x", ms, new double[] {1, 1, 1}))
                    .isInstanceOf(IncompatibleModulesException.class)
                    .hasMessageContaining("module 'm2' has lora_A 5x5, lora_B 7x5")
                    .hasMessageContaining("module 'm0' has lora_A 3x5")
                    .hasMessageContaining(s + " needs equal ranks");
        } else {
            assertThat(c.merge("x", ms, new double[] {1, 1, 1}).layers()).hasSize(3);
        }
    }

    @Test
    void rejects_mixed_fan_in_fan_out() {
        List<LoraModule> ms = new ArrayList<>(three());
        ms.set(1, withLayer(ms.get(1), Q0, 3, 5, 7, true));
        assertThatThrownBy(() -> Composer.of(MergeStrategy.CAT).merge("x", ms, new double[3]))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("fan_in_fan_out");
    }

    @ParameterizedTest
    @EnumSource(
            value = MergeStrategy.class,
            names = {"TIES", "DARE_LINEAR", "DARE_TIES", "MAGNITUDE_PRUNE"})
    void pruning_strategies_need_an_explicit_density(MergeStrategy s) {
        assertThatThrownBy(() -> Composer.of(s).merge("x", three(), new double[3]))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(s.name())
                .hasMessageContaining("density");
    }

    @Test
    void settings_out_of_range_are_refused_with_the_value() {
        Composer c = Composer.of(MergeStrategy.TIES);
        assertThatThrownBy(() -> c.density(1.5)).hasMessageContaining("1.5");
        assertThatThrownBy(() -> c.density(Double.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> c.svdRank(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> c.svdClamp(-0.1)).hasMessageContaining("-0.1");
    }

    @Test
    void result_config_clears_inherited_rslora_and_patterns_yet_keeps_every_scaling() {
        // module 0 uses rsLoRA with a rank pattern and an alpha pattern: LORAHUB keeps module 0's
        // per-layer scalings, which the result's plain config must reproduce
        SplittableRandom rnd = new SplittableRandom(3);
        AdapterConfig cfg =
                AdapterConfig.builder()
                        .baseModelNameOrPath("base")
                        .r(4)
                        .loraAlpha(8)
                        .useRslora(true)
                        .rankPattern(Map.of("v_proj", 2))
                        .alphaPattern(Map.of("layers.1.self_attn.q_proj", 3.0))
                        .build();
        List<LoraModule> ms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            List<LoraLayer> layers = new ArrayList<>();
            for (String p : RandomModules.PATHS) {
                int r = cfg.rankFor(p);
                layers.add(
                        new LoraLayer(
                                p,
                                r,
                                5,
                                6,
                                RandomModules.gaussian(rnd, r * 5),
                                RandomModules.gaussian(rnd, 6 * r),
                                cfg.scalingFor(p),
                                false));
            }
            ms.add(new LoraModule("m" + i, cfg, layers));
        }
        LoraModule merged =
                Composer.of(MergeStrategy.LORAHUB).merge("x", ms, new double[] {0.4, 0.9});
        AdapterConfig out = merged.config();
        assertThat(out.useRslora()).isFalse();
        for (String p : RandomModules.PATHS) {
            assertThat(out.rankFor(p)).as(p).isEqualTo(cfg.rankFor(p));
            assertThat(out.scalingFor(p))
                    .as(p)
                    .isCloseTo(cfg.scalingFor(p), org.assertj.core.api.Assertions.within(1e-12));
        }
        assertThat(out.rankPattern()).containsOnlyKeys(RandomModules.PATHS.get(1));
        AdapterConfig cat =
                Composer.of(MergeStrategy.CAT).merge("c", ms, new double[] {1, 1}).config();
        assertThat(cat.useRslora()).isFalse();
        // v_proj has rank 2 + 2 = 4 and alpha 4 while the others have 8: exact-path patterns
        assertThat(cat.rankPattern()).containsExactly(Map.entry(RandomModules.PATHS.get(1), 4));
        assertThat(cat.alphaPattern()).containsExactly(Map.entry(RandomModules.PATHS.get(1), 4.0));
        for (String p : RandomModules.PATHS) {
            assertThat(cat.rankFor(p)).isEqualTo(2 * cfg.rankFor(p));
            assertThat(cat.scalingFor(p)).isEqualTo(1.0);
        }
    }

    @Test
    void the_listener_hears_every_layer_in_order() {
        List<String> heard = new ArrayList<>();
        Composer.of(MergeStrategy.SVD)
                .listener((done, total, path) -> heard.add(done + "/" + total + " " + path))
                .merge("x", three(), new double[] {1, 2, 3});
        assertThat(heard)
                .containsExactly(
                        "1/3 " + RandomModules.PATHS.get(0),
                        "2/3 " + RandomModules.PATHS.get(1),
                        "3/3 " + RandomModules.PATHS.get(2));
    }
}
