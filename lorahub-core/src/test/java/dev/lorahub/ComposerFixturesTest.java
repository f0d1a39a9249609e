package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reproduces the merged adapters PEFT 0.10.0 and the LoraHub reference wrote into
 * hf-tiny/{llama,t5}/ref/merged from adapters 0..2 and results.json's merge_weights.
 */
class ComposerFixturesTest {
    /** Absolute tolerance on merged factors (float32 arithmetic, values of order 1). */
    private static final double FACTOR_ATOL = 1e-6;

    /** Relative Frobenius tolerance on deltaW (the fixture README's criterion). */
    private static final double DELTA_RTOL = 1e-5;

    private record Case(List<LoraModule> adapters, double[] weights, Path merged) {}

    private static Case load(String model) throws IOException {
        Path root = TestData.require("hf-tiny/" + model);
        List<LoraModule> adapters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            adapters.add(LoraModule.load(root.resolve("adapters/adapter_" + i)));
        }
        JsonNode results = new ObjectMapper().readTree(root.resolve("ref/results.json").toFile());
        JsonNode w = results.get("merge_weights");
        double[] weights = new double[w.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = w.get(i).doubleValue();
        }
        assertThat(weights).containsExactly(0.5, -0.3, 1.2);
        return new Case(adapters, weights, root.resolve("ref/merged"));
    }

    private static void assertFactorsMatch(LoraModule actual, LoraModule expected) {
        assertThat(actual.layers().keySet()).isEqualTo(expected.layers().keySet());
        for (LoraLayer e : expected.layers().values()) {
            LoraLayer a = actual.layers().get(e.modulePath());
            assertThat(a.rank()).as(e.modulePath()).isEqualTo(e.rank());
            float[] aa = a.loraA();
            float[] ea = e.loraA();
            for (int i = 0; i < ea.length; i++) {
                assertThat((double) aa[i])
                        .as("%s lora_A[%d]", e.modulePath(), i)
                        .isCloseTo(ea[i], within(FACTOR_ATOL));
            }
            float[] ab = a.loraB();
            float[] eb = e.loraB();
            for (int i = 0; i < eb.length; i++) {
                assertThat((double) ab[i])
                        .as("%s lora_B[%d]", e.modulePath(), i)
                        .isCloseTo(eb[i], within(FACTOR_ATOL));
            }
            assertThat(a.scaling()).as(e.modulePath()).isEqualTo(e.scaling());
        }
        assertThat(actual.config().r()).isEqualTo(expected.config().r());
        assertThat(actual.config().loraAlpha()).isEqualTo(expected.config().loraAlpha());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void lorahub_reproduces_the_reference_merge(String model) throws IOException {
        Case c = load(model);
        LoraModule merged =
                Composer.of(MergeStrategy.LORAHUB).merge("lorahub", c.adapters(), c.weights());
        assertFactorsMatch(merged, LoraModule.load(c.merged().resolve("lorahub")));
        assertThat(merged.config().toJson()).isEqualTo(c.adapters().get(0).config().toJson());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void cat_reproduces_peft_add_weighted_adapter_cat(String model) throws IOException {
        Case c = load(model);
        LoraModule merged = Composer.of(MergeStrategy.CAT).merge("cat", c.adapters(), c.weights());
        LoraModule expected = LoraModule.load(c.merged().resolve("awa_cat"));
        assertFactorsMatch(merged, expected);
        assertThat(merged.config().toJson()).isEqualTo(expected.config().toJson());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void linear_reproduces_peft_linear_with_absolute_weights(String model) throws IOException {
        Case c = load(model);
        double[] abs = c.weights().clone();
        for (int i = 0; i < abs.length; i++) {
            abs[i] = Math.abs(abs[i]);
        }
        LoraModule merged = Composer.of(MergeStrategy.LINEAR).merge("linear", c.adapters(), abs);
        LoraModule expected = LoraModule.load(c.merged().resolve("awa_linear_absw"));
        assertFactorsMatch(merged, expected);
        assertThat(merged.config().toJson()).isEqualTo(expected.config().toJson());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void svd_matches_peft_once_its_double_scaling_is_accounted_for(String model)
            throws IOException {
        Case c = load(model);
        LoraModule expected = LoraModule.load(c.merged().resolve("awa_svd"));
        // PEFT 0.10 approximates sum_i w_i s_i^2 B_i A_i: feed weights w_i s_i to reproduce it
        double[] peftWeights = new double[3];
        for (int i = 0; i < 3; i++) {
            double s = c.adapters().get(i).config().scalingFor("any");
            peftWeights[i] = c.weights()[i] * s;
        }
        LoraModule asPeft = Composer.of(MergeStrategy.SVD).merge("svd", c.adapters(), peftWeights);
        LoraModule correct = Composer.of(MergeStrategy.SVD).merge("svd", c.adapters(), c.weights());
        assertThat(correct.config().r()).isEqualTo(4);
        assertThat(correct.config().loraAlpha()).isEqualTo(4.0);
        for (LoraLayer e : expected.layers().values()) {
            double[] peftDelta = RandomModules.delta(e);
            double[] ours = RandomModules.delta(asPeft.layers().get(e.modulePath()));
            assertThat(RandomModules.relFrobenius(ours, peftDelta))
                    .as(e.modulePath())
                    .isLessThan(DELTA_RTOL);
            // every s_i is 2 here, so PEFT's delta is exactly twice the correct one
            double[] single = RandomModules.delta(correct.layers().get(e.modulePath()));
            for (int i = 0; i < single.length; i++) {
                single[i] *= 2;
            }
            assertThat(RandomModules.relFrobenius(single, peftDelta))
                    .as(e.modulePath())
                    .isLessThan(DELTA_RTOL);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void every_merged_fixture_delta_matches_our_merge_as_delta(String model) throws IOException {
        Case c = load(model);
        LoraModule lorahub =
                Composer.of(MergeStrategy.LORAHUB).merge("x", c.adapters(), c.weights());
        LoraModule cat = Composer.of(MergeStrategy.CAT).merge("x", c.adapters(), c.weights());
        for (String[] pair : new String[][] {{"lorahub", "L"}, {"awa_cat", "C"}}) {
            LoraModule expected = LoraModule.load(c.merged().resolve(pair[0]));
            LoraModule ours = pair[1].equals("L") ? lorahub : cat;
            for (LoraLayer e : expected.layers().values()) {
                assertThat(
                                RandomModules.relFrobenius(
                                        RandomModules.delta(ours.layers().get(e.modulePath())),
                                        RandomModules.delta(e)))
                        .as("%s %s", pair[0], e.modulePath())
                        .isLessThan(DELTA_RTOL);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void lorahub_cat_and_linear_are_bit_identical_to_the_reference_files(String model)
            throws IOException {
        // Java float arithmetic is IEEE-exact and LORAHUB adds in the reference's order
        // (w_0 x_0, then + w_i x_i); CAT's c_i x is exact to PEFT's (x w_i) s_i because s_i = 2;
        // LINEAR (PEFT's fixture used |w|) rounds sqrt(|w_i| s_i) to float as torch does
        Case c = load(model);
        String[][] variants = {
            {"LORAHUB", "lorahub"}, {"CAT", "awa_cat"}, {"LINEAR", "awa_linear_absw"}
        };
        for (String[] v : variants) {
            LoraModule ours =
                    Composer.of(MergeStrategy.valueOf(v[0]))
                            .merge("x", c.adapters(), weightsFor(v[0], c.weights()));
            LoraModule expected = LoraModule.load(c.merged().resolve(v[1]));
            for (LoraLayer e : expected.layers().values()) {
                LoraLayer o = ours.layers().get(e.modulePath());
                assertThat(o.loraA())
                        .as("%s %s", v[0], e.modulePath())
                        .containsExactly(e.loraA());
                assertThat(o.loraB())
                        .as("%s %s", v[0], e.modulePath())
                        .containsExactly(e.loraB());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void saved_lorahub_cat_and_linear_merges_are_the_reference_folders_byte_for_byte(String model)
            throws IOException {
        Case c = load(model);
        Path tmp = java.nio.file.Files.createTempDirectory("merged-" + model);
        try {
            String[][] variants = {
                {"LORAHUB", "lorahub"}, {"CAT", "awa_cat"}, {"LINEAR", "awa_linear_absw"}
            };
            for (String[] v : variants) {
                Path out = tmp.resolve(v[1]);
                Composer.of(MergeStrategy.valueOf(v[0]))
                        .merge(v[1], c.adapters(), weightsFor(v[0], c.weights()))
                        .save(out);
                for (String f : List.of("adapter_model.safetensors", "adapter_config.json")) {
                    assertThat(java.nio.file.Files.readAllBytes(out.resolve(f)))
                            .as("%s %s", v[1], f)
                            .isEqualTo(
                                    java.nio.file.Files.readAllBytes(
                                            c.merged().resolve(v[1]).resolve(f)));
                }
            }
        } finally {
            try (var walk = java.nio.file.Files.walk(tmp)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The fixture's linear variant was made with |w| (PEFT 0.10 fails on negative weights). */
    private static double[] weightsFor(String strategy, double[] w) {
        double[] out = w.clone();
        if (strategy.equals("LINEAR")) {
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.abs(out[i]);
            }
        }
        return out;
    }
}
