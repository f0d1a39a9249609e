package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.optim.GradientObjective;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.TextTokenizer;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Gradient-based weight learning through {@link LearnStep#optimizer(GradientOptimizer)}. */
class LoraHubGradientTest {
    static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    static final List<LoraModule> MODULES = ToyTasks.modules(MODEL.config(), "toy", 4, 2, 1L);
    static final ToyTask TASK =
            ToyTasks.task(
                    MODEL,
                    MODULES,
                    new double[] {0.8, -0.5, 0.0, 0.6},
                    ToyTasks.Combination.EXACT_SUM,
                    5,
                    32,
                    3L);

    /** Probes the objective LoraHub hands over: its gradient and finite differences at W. */
    static final class Probe implements GradientOptimizer {
        static final double[] W = {0.4, -0.3, 0.2, 0.7};
        final List<double[]> analytic = new ArrayList<>();
        final List<double[]> numeric = new ArrayList<>();

        @Override
        public OptimizationResult minimize(
                GradientObjective f, SearchSpace space, int budget, long seed) {
            double[] g = new double[W.length];
            double value = f.valueAndGradient(W.clone(), g);
            double h = 1e-4;
            double[] fd = new double[W.length];
            for (int i = 0; i < W.length; i++) {
                double[] up = W.clone();
                double[] down = W.clone();
                up[i] += h;
                down[i] -= h;
                fd[i] =
                        (f.valueAndGradient(up, new double[W.length])
                                        - f.valueAndGradient(down, new double[W.length]))
                                / (2 * h);
            }
            analytic.add(g);
            numeric.add(fd);
            return new OptimizationResult(
                    W,
                    value,
                    1,
                    List.of(new Evaluation(1, W, value)),
                    OptimizationResult.State.COMPLETED);
        }

        @Override
        public String name() {
            return "probe";
        }
    }

    @Test
    void the_gradient_of_the_score_matches_central_finite_differences() {
        Probe probe = new Probe();
        LoraHub.compose(MODULES)
                .fewShot(TASK.examples())
                .on(MODEL)
                .strategy(MergeStrategy.CAT)
                .batchSize(2) // three batches: losses summed, divided by the examples
                .optimizer(probe)
                .budget(30)
                .run();
        double[] g = probe.analytic.get(0);
        double[] fd = probe.numeric.get(0);
        for (int i = 0; i < g.length; i++) {
            // float32 weights in a double-precision toy forward: the quotient is good to ~1e-6
            assertThat(Math.abs(g[i] - fd[i]))
                    .as("w_%d: gradient %s vs finite differences %s", i, g[i], fd[i])
                    .isLessThanOrEqualTo(1e-4 + 1e-3 * Math.abs(fd[i]));
        }
        assertThat(java.util.Arrays.stream(fd).map(Math::abs).max().orElseThrow())
                .isGreaterThan(1e-2);
    }

    private static LoraHubResult adam(long seed, int budget) {
        return LoraHub.compose(MODULES)
                .fewShot(TASK.examples())
                .on(MODEL)
                .strategy(MergeStrategy.CAT)
                .optimizer("adam")
                .budget(budget)
                .seed(seed)
                .run();
    }

    @Test
    void adam_lowers_the_score_from_the_start_and_counts_three_forward_equivalents_a_step() {
        LoraHubResult r = adam(42, 150);
        assertThat(r.trace()).hasSize(50);
        assertThat(r.forwardEquivalents()).isEqualTo(150);
        double start = r.trace().get(0).score();
        assertThat(r.bestScore()).isLessThan(start - 0.05);
        assertThat(r.provenance().optimizer()).isEqualTo("adam");
        for (TracePoint p : r.trace()) {
            for (double w : p.weights()) {
                assertThat(w).isBetween(-1.5, 1.5);
            }
        }
    }

    /** One value and gradient at W, then the value alone at W and at -W. */
    static final class OneStepTwoProbes implements GradientOptimizer {
        double withGradient;
        double alone;

        @Override
        public OptimizationResult minimize(
                GradientObjective f, SearchSpace space, int budget, long seed) {
            double[] w = Probe.W;
            withGradient = f.valueAndGradient(w.clone(), new double[w.length]);
            alone = f.value(w.clone());
            double[] minus = java.util.Arrays.stream(w).map(x -> -x).toArray();
            double other = f.value(minus);
            return new OptimizationResult(
                    w,
                    withGradient,
                    3,
                    List.of(
                            new Evaluation(1, w, withGradient),
                            new Evaluation(2, w, alone),
                            new Evaluation(3, minus, other)),
                    OptimizationResult.State.COMPLETED);
        }

        @Override
        public String name() {
            return "one-step-two-probes";
        }
    }

    @Test
    void a_value_without_its_gradient_is_the_same_score_and_costs_one_forward_equivalent() {
        OneStepTwoProbes o = new OneStepTwoProbes();
        LoraHubResult r =
                LoraHub.compose(MODULES)
                        .fewShot(TASK.examples())
                        .on(MODEL)
                        .strategy(MergeStrategy.CAT)
                        .batchSize(2)
                        .optimizer(o)
                        .budget(30)
                        .run();
        assertThat(r.trace()).hasSize(3);
        assertThat(r.forwardEquivalents()).isEqualTo(GradientOptimizer.COST_PER_STEP + 1 + 1);
        // the toy forward is deterministic: the same point scores the same either way
        assertThat(o.alone).isCloseTo(o.withGradient, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(r.trace().get(2).score())
                .isNotCloseTo(o.alone, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void descent_by_name_lowers_the_score_within_its_budget_and_announced_evaluations() {
        int[] announced = new int[1];
        LoraHubResult r =
                LoraHub.compose(MODULES)
                        .fewShot(TASK.examples())
                        .on(MODEL)
                        .strategy(MergeStrategy.CAT)
                        .optimizer("descent")
                        .budget(20)
                        .listener(
                                new LoraHubListener() {
                                    @Override
                                    public void onStart(List<String> names, int budget) {
                                        announced[0] = budget;
                                    }

                                    @Override
                                    public void onEvaluation(TracePoint p) {}
                                })
                        .run();
        assertThat(r.provenance().optimizer()).isEqualTo("descent");
        assertThat(r.forwardEquivalents()).isBetween(17L, 20L);
        assertThat(r.bestScore()).isLessThan(r.trace().get(0).score() - 0.05);
        // probes cost 1: more evaluations than 20 / 3 gradient steps, never more than announced
        assertThat(r.trace().size()).isGreaterThan(20 / GradientOptimizer.COST_PER_STEP);
        assertThat(announced[0]).isEqualTo(18).isGreaterThanOrEqualTo(r.trace().size());
    }

    @Test
    void adam_runs_are_identical_for_a_seed() {
        LoraHubResult a = adam(7, 60);
        LoraHubResult b = adam(7, 60);
        assertThat(b.weightArray()).containsExactly(a.weightArray());
        assertThat(b.bestScore()).isEqualTo(a.bestScore());
    }

    @Test
    void selection_is_counted_in_the_forward_equivalents() {
        LoraHubResult r =
                LoraHub.compose(MODULES)
                        .fewShot(TASK.examples())
                        .on(MODEL)
                        .strategy(MergeStrategy.CAT)
                        .select(ModuleSelection.lowestLoss(2))
                        .budget(10)
                        .run();
        assertThat(r.forwardEquivalents()).isEqualTo(4 + 10);
    }

    @Test
    void a_gradient_optimizer_needs_cat_composition() {
        assertThatThrownBy(
                        () ->
                                LoraHub.compose(MODULES)
                                        .fewShot(TASK.examples())
                                        .on(MODEL)
                                        .optimizer("adam")
                                        .run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'adam'")
                .hasMessageContaining("CAT")
                .hasMessageContaining("LORAHUB");
    }

    @Test
    void a_gradient_optimizer_needs_a_model_that_gives_gradients() {
        try (BaseModel plain = new LossOnly(MODEL)) {
            assertThatThrownBy(
                            () ->
                                    LoraHub.compose(MODULES)
                                            .fewShot(TASK.examples())
                                            .on(plain)
                                            .strategy(MergeStrategy.CAT)
                                            .optimizer("adam")
                                            .run())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'adam'")
                    .hasMessageContaining("gives no gradients");
        }
    }

    /** The toy model seen as a plain {@link BaseModel}: no gradients. */
    private record LossOnly(ToyModel m) implements BaseModel {
        @Override
        public String modelType() {
            return m.modelType();
        }

        @Override
        public Map<String, LinearShape> linearModules() {
            return m.linearModules();
        }

        @Override
        public Optional<TextTokenizer> tokenizer() {
            return m.tokenizer();
        }

        @Override
        public EncodedBatch encode(List<FewShotExample> examples) {
            return m.encode(examples);
        }

        @Override
        public double loss(LoraModule adapter, EncodedBatch batch) {
            return m.loss(adapter, batch);
        }

        @Override
        public List<int[]> generate(LoraModule a, List<int[]> p, GenerationConfig c) {
            return m.generate(a, p, c);
        }

        @Override
        public void close() {}
    }
}
