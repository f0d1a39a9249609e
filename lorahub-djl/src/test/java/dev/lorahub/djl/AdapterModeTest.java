package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import dev.lorahub.Composer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.t5.T5Model;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.spi.EncodedBatch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AdapterMode#BRANCH} against {@link AdapterMode#IN_PLACE} for one candidate at a time
 * ({@code loss}, and {@code losses} one per forward) on the hf-tiny LLaMA and T5 fixtures, every
 * {@link MergeStrategy} of their three PEFT adapters: the losses agree within float rounding, the
 * branch path never writes a base weight (bit-identical afterwards) and keeps no copies.
 */
class AdapterModeTest {
    /**
     * Relative tolerance between the two modes: the in-place path rounds {@code W + s B A} to
     * float32, the branch keeps {@code s B A} apart (as in {@link CandidateBranchesTest}; each case
     * prints its largest).
     */
    static final double RTOL = 2e-6;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String fixture : List.of("hf-tiny/llama", "hf-tiny/t5")) {
            for (MergeStrategy s : MergeStrategy.values()) {
                out.add(Arguments.of(fixture, s));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void a_branch_loss_equals_the_in_place_loss_and_leaves_the_weights_untouched(
            String fixture, MergeStrategy strategy) throws IOException {
        HfTinyReference fx = new HfTinyReference(fixture) {};
        long seed = 1207L + strategy.ordinal() + 31L * fixture.length();
        List<LoraModule> candidates = candidates(fx, strategy, seed);
        try (DjlBaseModel model = (DjlBaseModel) ModelBackends.load(fx.model());
                EncodedBatch batch = model.encode(fx.examples(fixture.endsWith("llama")))) {
            assertThat(model.adapterMode()).isEqualTo(AdapterMode.IN_PLACE); // the default
            model.adapterMode(AdapterMode.BRANCH);
            Map<String, float[]> before = weights(model);
            // WHEN every candidate is evaluated through side branches, alone and as losses()
            double[] branch = new double[candidates.size()];
            for (int i = 0; i < branch.length; i++) {
                branch[i] = model.loss(candidates.get(i), batch);
            }
            double[] branchLosses = model.losses(candidates, batch);
            // THEN nothing was written or kept
            assertThat(model.keptBytes()).as("kept copies after branch losses").isZero();
            Map<String, float[]> after = weights(model);
            assertThat(after.keySet()).isEqualTo(before.keySet());
            before.forEach(
                    (k, v) -> assertThat(after.get(k)).as("%s after branch losses", k).isEqualTo(v));
            // AND each loss is the in-place loss within float rounding
            model.adapterMode(AdapterMode.IN_PLACE);
            double worst = 0;
            for (int i = 0; i < branch.length; i++) {
                double inPlace = model.loss(candidates.get(i), batch);
                double rel = Math.abs(branch[i] - inPlace) / Math.abs(inPlace);
                worst = Math.max(worst, rel);
                assertThat(rel)
                        .as(
                                "%s %s seed %d candidate %d: branch %s, in place %s",
                                fixture, strategy, seed, i, branch[i], inPlace)
                        .isLessThanOrEqualTo(RTOL);
                assertThat(branchLosses[i]).as("losses() candidate %d", i).isEqualTo(branch[i]);
            }
            assertThat(model.keptBytes()).as("in place keeps copies").isPositive();
            System.out.printf(
                    "%s %s seed %d: largest relative difference %.2e%n",
                    fixture, strategy, seed, worst);
        }
    }

    @Test
    void parses_the_cli_spellings_and_names_a_wrong_value() {
        assertThat(AdapterMode.parse("in-place")).isEqualTo(AdapterMode.IN_PLACE);
        assertThat(AdapterMode.parse(" IN_PLACE ")).isEqualTo(AdapterMode.IN_PLACE);
        assertThat(AdapterMode.parse("Branch")).isEqualTo(AdapterMode.BRANCH);
        assertThat(AdapterMode.IN_PLACE).hasToString("in-place");
        assertThatThrownBy(() -> AdapterMode.parse("patch"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown adapter mode 'patch', expected in-place or branch");
    }

    /** Three candidates of one strategy, weights uniform in [-1.5, 1.5]. */
    private static List<LoraModule> candidates(
            HfTinyReference fx, MergeStrategy strategy, long seed) throws IOException {
        List<LoraModule> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(fx.adapter("adapter_" + i));
        }
        Composer composer = Composer.of(strategy);
        if (strategy.needsDensity()) {
            composer = composer.density(0.5);
        }
        Random rnd = new Random(seed);
        List<LoraModule> out = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            double[] w = new double[3];
            for (int i = 0; i < 3; i++) {
                w[i] = 3 * rnd.nextDouble() - 1.5;
            }
            out.add(composer.merge("c" + c, three, w));
        }
        return out;
    }

    private static Map<String, float[]> weights(DjlBaseModel model) {
        Map<String, NDArray> arrays =
                model instanceof LlamaBaseModel l
                        ? l.model().weights()
                        : ((T5Model) model).weights().all();
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }
}
