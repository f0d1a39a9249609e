package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.optim.GradientObjective;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.testkit.ToyModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Stochastic mini-batches of a gradient optimizer: {@link LearnStep#miniBatch(int)}. */
class LoraHubMiniBatchTest {
    static final ToyModel MODEL = LoraHubGradientTest.MODEL;
    static final List<LoraModule> MODULES = LoraHubGradientTest.MODULES;

    /**
     * The toy task's 5 examples cut to 5 different lengths, so that a mini-batch's share of the
     * labelled tokens differs from its share of the examples.
     */
    static final List<FewShotExample> UNEVEN = uneven();

    private static List<FewShotExample> uneven() {
        int[] lengths = {6, 11, 17, 24, 32};
        List<FewShotExample> out = new ArrayList<>();
        List<FewShotExample> full = LoraHubGradientTest.TASK.examples();
        for (int i = 0; i < lengths.length; i++) {
            int[] ids = Arrays.copyOf(full.get(i).inputIds().orElseThrow(), lengths[i]);
            out.add(FewShotExample.tokenized(ids, ids));
        }
        return out;
    }

    /** Evaluates value and gradient {@code calls} times at {@link LoraHubGradientTest.Probe#W}. */
    static final class Repeat implements GradientOptimizer {
        final int calls;
        final List<double[]> gradients = new ArrayList<>();
        final List<Double> values = new ArrayList<>();
        int budget;

        Repeat(int calls) {
            this.calls = calls;
        }

        @Override
        public OptimizationResult minimize(
                GradientObjective f, SearchSpace space, int budget, long seed) {
            this.budget = budget;
            double[] w = LoraHubGradientTest.Probe.W;
            List<Evaluation> history = new ArrayList<>();
            for (int t = 1; t <= calls; t++) {
                double[] g = new double[w.length];
                values.add(f.valueAndGradient(w.clone(), g));
                gradients.add(g);
                history.add(new Evaluation(t, w, values.get(t - 1)));
            }
            return new OptimizationResult(
                    w, values.get(0), calls, history, OptimizationResult.State.COMPLETED);
        }

        @Override
        public String name() {
            return "repeat";
        }
    }

    private static LearnStep step(List<FewShotExample> examples) {
        return LoraHub.compose(MODULES)
                .fewShot(examples)
                .on(MODEL)
                .strategy(MergeStrategy.CAT)
                .seed(42);
    }

    @ParameterizedTest(name = "mini-batches of {0}")
    @ValueSource(ints = {1, 2, 3, 5})
    void the_mean_over_an_epoch_of_mini_batch_scores_and_gradients_is_the_full_batch_one(int m) {
        Repeat full = new Repeat(1);
        step(UNEVEN).optimizer(full).budget(3).run();
        int perEpoch = (UNEVEN.size() + m - 1) / m;
        // two epochs: two different shuffles, each covering every example once
        Repeat mini = new Repeat(2 * perEpoch);
        step(UNEVEN).optimizer(mini).miniBatch(m).budget(4).run();
        for (int epoch = 0; epoch < 2; epoch++) {
            double value = 0.0;
            double[] mean = new double[full.gradients.get(0).length];
            for (int t = epoch * perEpoch; t < (epoch + 1) * perEpoch; t++) {
                value += mini.values.get(t) / perEpoch;
                for (int i = 0; i < mean.length; i++) {
                    mean[i] += mini.gradients.get(t)[i] / perEpoch;
                }
            }
            // the same loss sums taken in another order: equal to double rounding
            assertThat(value)
                    .as("m=%d, epoch %d: mean score", m, epoch)
                    .isCloseTo(full.values.get(0), org.assertj.core.data.Offset.offset(1e-9));
            for (int i = 0; i < mean.length; i++) {
                // dloss/dW reaches core as float32: ~1e-7 relative per example's share
                double want = full.gradients.get(0)[i];
                assertThat(mean[i])
                        .as("m=%d, epoch %d: mean d/dw_%d", m, epoch, i)
                        .isCloseTo(
                                want,
                                org.assertj.core.data.Offset.offset(1e-9 + 1e-6 * Math.abs(want)));
            }
        }
        if (m < UNEVEN.size()) {
            // a single mini-batch is not the full batch: the test compares unequal things
            assertThat(mini.gradients.get(0)[0])
                    .isNotCloseTo(
                            full.gradients.get(0)[0], org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void the_mini_batch_score_is_the_full_score_of_its_examples_times_their_token_share() {
        // closed form for one example e: nb * (T_e / T) * tokenMean(e) / k + lambda mean|w|
        Repeat mini = new Repeat(5);
        step(UNEVEN).optimizer(mini).miniBatch(1).budget(4).run();
        LoraModule merged =
                Composer.of(MergeStrategy.CAT)
                        .merge("w", MODULES, LoraHubGradientTest.Probe.W);
        double l1 = LoraHub.DEFAULT_REGULARIZATION * meanAbs(LoraHubGradientTest.Probe.W);
        int allTokens;
        try (EncodedBatch all = MODEL.encode(UNEVEN)) {
            allTokens = all.labelledTokens();
        }
        List<Double> expected = new ArrayList<>();
        for (FewShotExample e : UNEVEN) {
            try (EncodedBatch one = MODEL.encode(List.of(e))) {
                expected.add(
                        5.0 * one.labelledTokens() / allTokens * MODEL.loss(merged, one) / 5
                                + l1);
            }
        }
        // each example once, in the shuffled order: compare as sorted lists
        List<Double> got = new ArrayList<>(mini.values);
        got.sort(null);
        expected.sort(null);
        for (int i = 0; i < 5; i++) {
            assertThat(got.get(i))
                    .as("mini-batch score %d", i)
                    .isCloseTo(expected.get(i), org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    private static double meanAbs(double[] w) {
        return Arrays.stream(w).map(Math::abs).sum() / w.length;
    }

    @Test
    void adam_runs_whole_epochs_then_scores_the_final_point_on_every_example() {
        for (int m : new int[] {1, 2}) {
            int perEpoch = m == 1 ? 5 : 3;
            LoraHubResult r =
                    step(UNEVEN).optimizer("adam").miniBatch(m).budget(20).run();
            // (20 - 1) / 3 = 6 epochs, then one forward on all examples
            assertThat(r.trace()).as("m=%d", m).hasSize(6 * perEpoch + 1);
            assertThat(r.forwardEquivalents()).as("m=%d", m).isEqualTo(6 * 3 + 1);
            TracePoint last = r.trace().get(r.trace().size() - 1);
            assertThat(r.weightArray()).containsExactly(last.weights());
            assertThat(last.weights())
                    .containsExactly(r.trace().get(r.trace().size() - 2).weights());
            // independent truth: the full-batch score of the returned weights
            try (EncodedBatch all = MODEL.encode(UNEVEN)) {
                double score =
                        MODEL.loss(
                                                Composer.of(MergeStrategy.CAT)
                                                        .merge("w", MODULES, r.weightArray()),
                                                all)
                                        / UNEVEN.size()
                                + LoraHub.DEFAULT_REGULARIZATION * meanAbs(r.weightArray());
                assertThat(r.bestScore()).isCloseTo(score, org.assertj.core.data.Offset.offset(1e-12));
            }
            assertThat(r.bestScore()).isLessThan(r.trace().get(0).score());
        }
    }

    @Test
    void the_smallest_budget_is_one_epoch_and_the_final_forward() {
        LoraHubResult r = step(UNEVEN).optimizer("adam").miniBatch(1).budget(4).run();
        assertThat(r.trace()).hasSize(5 + 1);
        assertThat(r.forwardEquivalents()).isEqualTo(4);
        assertThatThrownBy(() -> step(UNEVEN).optimizer("adam").miniBatch(1).budget(3).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "miniBatch 1 needs a budget of at least 4 forward-equivalents (one epoch"
                                + " and the final forward), got 3");
    }

    @Test
    void mini_batch_runs_are_identical_for_a_seed_and_differ_between_seeds() {
        LoraHubResult a = step(UNEVEN).optimizer("adam").miniBatch(1).budget(30).seed(5).run();
        LoraHubResult b = step(UNEVEN).optimizer("adam").miniBatch(1).budget(30).seed(5).run();
        LoraHubResult c = step(UNEVEN).optimizer("adam").miniBatch(1).budget(30).seed(6).run();
        assertThat(b.weightArray()).containsExactly(a.weightArray());
        assertThat(b.trace().stream().map(TracePoint::score).toList())
                .isEqualTo(a.trace().stream().map(TracePoint::score).toList());
        assertThat(c.weightArray()).isNotEqualTo(a.weightArray());
    }

    @Test
    void every_epoch_is_a_shuffle_that_covers_each_example_once() {
        for (int m = 1; m <= 5; m++) {
            MiniBatches minis = new MiniBatches(5, m, 42);
            List<List<Integer>> orders = new ArrayList<>();
            for (int epoch = 0; epoch < 6; epoch++) {
                List<Integer> seen = new ArrayList<>();
                for (int b = 0; b < minis.perEpoch(); b++) {
                    int[] batch = minis.next();
                    assertThat(batch.length)
                            .as("m=%d, epoch %d, batch %d", m, epoch, b)
                            .isEqualTo(Math.min(m, 5 - b * m));
                    Arrays.stream(batch).forEach(seen::add);
                }
                assertThat(seen).as("m=%d, epoch %d", m, epoch).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
                orders.add(seen);
            }
            // 6 epochs of a 120-permutation shuffle: not all the same order
            assertThat(orders.stream().distinct().count()).as("m=%d", m).isGreaterThan(1);
        }
    }

    @Test
    void bad_combinations_are_refused_naming_the_option_and_the_values() {
        assertThatThrownBy(() -> step(UNEVEN).optimizer("adam").miniBatch(6).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("miniBatch 6 exceeds the 5 examples");
        assertThatThrownBy(() -> step(UNEVEN).optimizer("adam").miniBatch(2).batchSize(2).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("miniBatch 2 cannot be combined with batchSize 2");
        assertThatThrownBy(
                        () ->
                                step(UNEVEN)
                                        .optimizer("adam")
                                        .miniBatch(2)
                                        .earlyStopping(true)
                                        .run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("miniBatch 2 cannot be combined with earlyStopping");
        assertThatThrownBy(() -> step(UNEVEN).optimizer("cobyla").miniBatch(1).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("miniBatch 1 needs a gradient optimizer that only takes steps (adam), got 'cobyla'");
        assertThatThrownBy(() -> step(UNEVEN).miniBatch(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("miniBatch must be >= 1, got 0");
    }

    @Test
    void an_optimizer_that_probes_the_value_alone_is_refused_by_name() {
        assertThatThrownBy(() -> step(UNEVEN).optimizer("descent").miniBatch(1).budget(20).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "miniBatch 1 needs a gradient optimizer that only takes steps (adam):"
                                + " 'descent' evaluates the value alone, which a mini-batch run"
                                + " cannot price");
    }
}
