package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lorahub.optim.AdamOptimizer;
import dev.lorahub.optim.GradientObjective;
import dev.lorahub.spi.EncodedBatch;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The two options of gradient weight learning beyond one weight per module: per-layer weights
 * ({@link LearnStep#perLayerWeights(boolean)}) and leave-one-out early stopping ({@link
 * LearnStep#earlyStopping(boolean)}), on the testkit's toy model (4 modules, 2 targeted layers, 5
 * examples).
 */
class LoraHubLayerWeightsTest {
    private static final List<LoraModule> MODULES = LoraHubGradientTest.MODULES;
    private static final List<FewShotExample> EXAMPLES = LoraHubGradientTest.TASK.examples();
    private static final List<String> LAYERS = List.copyOf(MODULES.get(0).layers().keySet());

    /** Probes the per-layer objective: its gradient and central finite differences at a point. */
    static final class Probe implements GradientOptimizer {
        double[] point;
        double[] analytic;
        double[] numeric;

        @Override
        public OptimizationResult minimize(
                GradientObjective f, SearchSpace space, int budget, long seed) {
            Random rnd = new Random(5);
            point = new double[space.dimension()];
            for (int i = 0; i < point.length; i++) {
                point[i] = rnd.nextDouble() - 0.5;
            }
            analytic = new double[point.length];
            double value = f.valueAndGradient(point.clone(), analytic);
            double h = 1e-4;
            numeric = new double[point.length];
            for (int i = 0; i < point.length; i++) {
                double[] up = point.clone();
                double[] down = point.clone();
                up[i] += h;
                down[i] -= h;
                numeric[i] =
                        (f.valueAndGradient(up, new double[point.length])
                                        - f.valueAndGradient(down, new double[point.length]))
                                / (2 * h);
            }
            return new OptimizationResult(
                    point,
                    value,
                    1,
                    List.of(new Evaluation(1, point, value)),
                    OptimizationResult.State.COMPLETED);
        }

        @Override
        public String name() {
            return "probe";
        }
    }

    private static LearnStep step() {
        return LoraHub.compose(MODULES)
                .fewShot(EXAMPLES)
                .on(LoraHubGradientTest.MODEL)
                .strategy(MergeStrategy.CAT);
    }

    @Test
    void per_layer_gradients_match_central_finite_differences_one_per_module_and_layer() {
        Probe probe = new Probe();
        step().perLayerWeights(true).optimizer(probe).budget(3).run();
        assertThat(probe.point).hasSize(MODULES.size() * LAYERS.size());
        for (int i = 0; i < probe.point.length; i++) {
            // float32 factors in a double toy forward: good to ~1e-6 (as the per-module test)
            assertThat(Math.abs(probe.analytic[i] - probe.numeric[i]))
                    .as("w_%d: %s vs %s", i, probe.analytic[i], probe.numeric[i])
                    .isLessThanOrEqualTo(1e-4 + 1e-3 * Math.abs(probe.numeric[i]));
        }
        // the two layers of one module have different derivatives: the weights are not tied
        assertThat(Math.abs(probe.numeric[0] - probe.numeric[1])).isGreaterThan(1e-3);
    }

    @Test
    void per_layer_merge_at_equal_layer_weights_is_the_per_module_merge_bit_for_bit() {
        double[] w = {0.7, -0.2, 0.4, 1.1};
        Map<String, double[]> byLayer = new LinkedHashMap<>();
        LAYERS.forEach(p -> byLayer.put(p, w));
        Composer cat = Composer.of(MergeStrategy.CAT);
        LoraModule a = cat.merge("a", MODULES, w);
        LoraModule b = cat.mergePerLayer("b", MODULES, byLayer);
        for (String p : LAYERS) {
            assertThat(b.layers().get(p).loraA()).containsExactly(a.layers().get(p).loraA());
            assertThat(b.layers().get(p).loraB()).containsExactly(a.layers().get(p).loraB());
        }
        // and with different weights, each layer is the per-module merge at its own weights
        double[] other = {-1.0, 0.3, 0.0, 0.5};
        byLayer.put(LAYERS.get(1), other);
        LoraModule c = cat.mergePerLayer("c", MODULES, byLayer);
        LoraModule d = cat.merge("d", MODULES, other);
        assertThat(c.layers().get(LAYERS.get(0)).loraA())
                .containsExactly(a.layers().get(LAYERS.get(0)).loraA());
        assertThat(c.layers().get(LAYERS.get(1)).loraA())
                .containsExactly(d.layers().get(LAYERS.get(1)).loraA());
        assertThatThrownBy(() -> cat.mergePerLayer("e", MODULES, Map.of(LAYERS.get(0), w)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no weights for layer '" + LAYERS.get(1) + "'");
    }

    @Test
    void a_per_layer_run_reports_layer_weights_merges_with_them_and_writes_them() throws Exception {
        LoraHubResult r =
                step().perLayerWeights(true).optimizer(new AdamOptimizer(0.05)).budget(60).run();
        assertThat(r.trace()).hasSize(20);
        assertThat(r.bestScore()).isLessThan(r.trace().get(0).score() - 0.05);
        assertThat(r.weightArray()).hasSize(8);
        assertThat(r.layerWeights().keySet()).containsExactlyElementsOf(r.moduleNames());
        Map<String, double[]> byLayer = new LinkedHashMap<>();
        double[] x = r.weightArray();
        for (int l = 0; l < LAYERS.size(); l++) {
            double[] wl = new double[MODULES.size()];
            for (int i = 0; i < wl.length; i++) {
                String module = MODULES.get(i).name();
                wl[i] = r.layerWeights().get(module).get(LAYERS.get(l));
                assertThat(wl[i]).isEqualTo(x[i * LAYERS.size() + l]);
            }
            byLayer.put(LAYERS.get(l), wl);
        }
        for (int i = 0; i < MODULES.size(); i++) {
            double mean = (x[2 * i] + x[2 * i + 1]) / 2;
            assertThat(r.weights().get(MODULES.get(i).name())).isEqualTo(mean);
        }
        LoraModule expected = Composer.of(MergeStrategy.CAT).mergePerLayer("e", MODULES, byLayer);
        for (String p : LAYERS) {
            assertThat(r.merged().layers().get(p).loraA())
                    .containsExactly(expected.layers().get(p).loraA());
        }
        // the merged module's loss is the best score's loss part
        try (EncodedBatch all =
                LoraHubGradientTest.MODEL.encode(
                        LoraHubGradientTest.MODEL.template().apply(EXAMPLES))) {
            assertThat(LoraHubGradientTest.MODEL.loss(r.merged(), all) / EXAMPLES.size())
                    .isCloseTo(r.bestLoss(), org.assertj.core.data.Offset.offset(1e-9));
        }
        JsonNode json = new ObjectMapper().readTree(r.weightsJson());
        assertThat(json.get(MODULES.get(0).name()).get(LAYERS.get(1)).asDouble()).isEqualTo(x[1]);
        assertThat(r.traceCsv().lines().findFirst().orElseThrow())
                .endsWith(",w_" + MODULES.get(3).name() + "@" + LAYERS.get(1));
    }

    @Test
    void the_options_need_a_gradient_optimizer_and_early_stopping_two_examples() {
        assertThatThrownBy(() -> step().perLayerWeights(true).optimizer("cobyla").run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "perLayerWeights needs a gradient optimizer (e.g. adam), got optimizer"
                            + " 'cobyla'");
        assertThatThrownBy(() -> step().earlyStopping(true).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("earlyStopping needs a gradient optimizer");
        assertThatThrownBy(
                        () ->
                                LoraHub.compose(MODULES)
                                        .fewShot(EXAMPLES.subList(0, 1))
                                        .on(LoraHubGradientTest.MODEL)
                                        .strategy(MergeStrategy.CAT)
                                        .optimizer("adam")
                                        .earlyStopping(true)
                                        .run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "earlyStopping holds out one example at a time and needs at least 2"
                                + " examples, got 1");
    }

    @Test
    void early_stopping_runs_the_step_count_with_the_lowest_leave_one_out_loss_and_counts_it() {
        int budget = 45; // 15 steps
        AdamOptimizer adam = new AdamOptimizer(0.2); // large steps: the held-out loss turns up
        LoraHubResult r = step().optimizer(adam).budget(budget).earlyStopping(true).run();
        // independent truth through the public API: one plain run per fold, the held-out
        // example's loss at each step's weights, merged by the composer and scored by the model
        int k = EXAMPLES.size();
        double[] mean = new double[budget / 3];
        for (int j = 0; j < k; j++) {
            List<FewShotExample> train = new ArrayList<>(EXAMPLES);
            FewShotExample heldOut = train.remove(j);
            LoraHubResult fold =
                    LoraHub.compose(MODULES)
                            .fewShot(train)
                            .on(LoraHubGradientTest.MODEL)
                            .strategy(MergeStrategy.CAT)
                            .optimizer(adam)
                            .budget(budget)
                            .run();
            assertThat(fold.trace()).hasSize(budget / 3);
            try (EncodedBatch b =
                    LoraHubGradientTest.MODEL.encode(
                            LoraHubGradientTest.MODEL.template().apply(List.of(heldOut)))) {
                for (int t = 0; t < mean.length; t++) {
                    LoraModule m =
                            Composer.of(MergeStrategy.CAT)
                                    .merge("f", MODULES, fold.trace().get(t).weights());
                    mean[t] += LoraHubGradientTest.MODEL.loss(m, b) / k;
                }
            }
        }
        int best = 0;
        for (int t = 1; t < mean.length; t++) {
            best = mean[t] < mean[best] ? t : best;
        }
        assertThat(best + 1)
                .as("held-out losses %s", Arrays.toString(mean))
                .isLessThan(mean.length); // the check means something only if it stops early
        assertThat(r.trace()).hasSize(best + 1);
        assertThat(r.forwardEquivalents())
                .isEqualTo((long) k * (budget + budget / 3) + 3L * (best + 1));
        LoraHubResult plain = step().optimizer(adam).budget(3 * (best + 1)).run();
        assertThat(r.weightArray()).containsExactly(plain.weightArray());
    }
}
