package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;
import dev.lorahub.testkit.ToyTasks.Combination;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LoraHub on the pure-Java toy backend, against truths computed without the merge code. */
class LoraHubTest {
    static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    static final List<LoraModule> MODULES = ToyTasks.modules(MODEL.config(), "toy", 4, 2, 1L);
    static final double[] TRUTH = {0.8, -0.5, 0.0, 0.6};

    static ToyTask task(Combination c, int examples) {
        return ToyTasks.task(MODEL, MODULES, TRUTH, c, examples, 64, 3L);
    }

    /** LoraHub over {@link #MODULES} with the task's examples, on {@link #MODEL}. */
    static LearnStep onToy(ToyTask t) {
        return LoraHub.compose(MODULES).fewShot(t.examples()).on(MODEL);
    }

    /** The reference's loss of an explicit update: batch token-means summed, over examples. */
    static double referenceLoss(Map<String, float[]> update, List<FewShotExample> ex, int batch) {
        LoraModule adapter = ToyTasks.fullRank("truth", "toy", update, MODEL);
        double sum = 0.0;
        for (int from = 0; from < ex.size(); from += batch) {
            try (EncodedBatch b =
                    MODEL.encode(ex.subList(from, Math.min(ex.size(), from + batch)))) {
                sum += MODEL.loss(adapter, b);
            }
        }
        return sum / ex.size();
    }

    @Test
    void lorahub_loss_falls_well_below_the_base_models() {
        ToyTask t = task(Combination.SEPARATE_SUM, 5);
        double base = referenceLoss(Map.of(), t.examples(), 5);
        double truth =
                referenceLoss(
                        ToyTasks.update(MODULES, TRUTH, Combination.SEPARATE_SUM), t.examples(), 5);

        LoraHubResult r = onToy(t).optimizer(new LocalRandomSearch()).budget(300).run();

        // THEN at least 60% of the way from the base loss to the generating update's loss
        assertThat(base - truth).as("room to improve").isGreaterThan(0.05);
        assertThat(r.bestLoss())
                .as("base %s, truth %s", base, truth)
                .isLessThan(base - 0.6 * (base - truth));
        assertThat(r.trace().get(0).loss())
                .as("first evaluation is w = 0")
                .isCloseTo(base, within(1e-12));
        assertThat(r.state()).isEqualTo(LoraHubResult.State.COMPLETED);
        assertThat(r.trace()).hasSize(300);
    }

    @Test
    void cat_recovers_the_true_weights_at_a_generous_budget() {
        // 40 examples x 63 scored tokens: enough data for the maximum-likelihood weights to sit
        // near the generating ones; regulariser off, so nothing pulls them towards 0
        ToyTask t = task(Combination.EXACT_SUM, 40);

        LoraHubResult r = onToy(t).strategy(MergeStrategy.CAT).regularization(0).budget(400).run();

        double[] w = r.weightArray();
        for (int i = 0; i < w.length; i++) {
            assertThat(w[i])
                    .as("weight %d of %s, truth %s", i, Arrays.toString(w), Arrays.toString(TRUTH))
                    .isCloseTo(TRUTH[i], within(0.1));
        }
        assertThat(r.provenance().strategy()).isEqualTo("CAT");
    }

    @Test
    void every_trace_point_scores_the_reference_objective() {
        ToyTask t = task(Combination.SEPARATE_SUM, 5);
        LoraHubResult r = onToy(t).optimizer(new LocalRandomSearch()).budget(6).batchSize(2).run();

        for (TracePoint p : r.trace()) {
            double[] w = p.weights();
            double expected =
                    referenceLoss(
                            ToyTasks.update(MODULES, w, Combination.SEPARATE_SUM), t.examples(), 2);
            double meanAbs = 0;
            for (double x : w) {
                meanAbs += Math.abs(x) / w.length;
            }
            // float32 factors summed in a different order: 1e-5 relative
            assertThat(p.loss())
                    .as("evaluation %d", p.index())
                    .isCloseTo(expected, within(1e-5 * expected));
            assertThat(p.score() - p.loss()).isCloseTo(0.05 * meanAbs, within(1e-12));
        }
    }

    @Test
    void merged_module_carries_the_learned_combination() {
        ToyTask t = task(Combination.SEPARATE_SUM, 5);
        LoraHubResult r = onToy(t).optimizer(new LocalRandomSearch()).budget(20).run();

        Map<String, float[]> expected =
                ToyTasks.update(MODULES, r.weightArray(), Combination.SEPARATE_SUM);
        for (LoraLayer layer : r.merged().layers().values()) {
            float[] got = layer.deltaWeight();
            float[] want = expected.get(layer.modulePath());
            for (int i = 0; i < got.length; i++) {
                assertThat((double) got[i]).isCloseTo(want[i], within(1e-5));
            }
        }
        assertThat(r.weights().keySet()).containsExactly("toy-0", "toy-1", "toy-2", "toy-3");
    }

    @Test
    void runs_are_deterministic_for_a_seed() {
        ToyTask t = task(Combination.SEPARATE_SUM, 5);
        LearnStep step = onToy(t).optimizer(new LocalRandomSearch()).budget(25);

        LoraHubResult a = step.run();
        LoraHubResult b = step.run();
        LoraHubResult c = step.seed(7).run();

        assertThat(b.weightArray()).containsExactly(a.weightArray());
        assertThat(scores(b)).containsExactlyElementsOf(scores(a));
        assertThat(scores(c)).isNotEqualTo(scores(a));
    }

    @Test
    void bounds_box_every_evaluated_weight_and_are_recorded() {
        ToyTask t = task(Combination.SEPARATE_SUM, 5);
        // the unbounded optimum (TRUTH) lies outside [-0.1, 0.2] in three coordinates, so an
        // optimizer ignoring the bounds would leave the box; regulariser off, so that the small
        // gain available inside the box is not outweighed by 0.05 * mean|w|
        LoraHubResult r = onToy(t).bounds(-0.1, 0.2).regularization(0).budget(30).run();

        for (TracePoint p : r.trace()) {
            for (double w : p.weights()) {
                assertThat(w).as("evaluation %d", p.index()).isBetween(-0.1, 0.2);
            }
        }
        assertThat(r.provenance().lowerBound()).isEqualTo(-0.1);
        assertThat(r.provenance().upperBound()).isEqualTo(0.2);
        assertThat(r.bestLoss()).isLessThan(r.trace().get(0).loss());
    }

    static List<Double> scores(LoraHubResult r) {
        List<Double> out = new ArrayList<>();
        r.trace().forEach(p -> out.add(p.score()));
        return out;
    }

    @Test
    void a_stronger_regulariser_shrinks_the_weights() {
        ToyTask t = task(Combination.SEPARATE_SUM, 5);
        LearnStep step = onToy(t).optimizer(new LocalRandomSearch()).budget(150);

        LoraHubResult off = step.regularization(0).run();
        LoraHubResult strong = step.regularization(2.0).run();

        for (TracePoint p : off.trace()) {
            assertThat(p.score()).isEqualTo(p.loss());
        }
        assertThat(meanAbs(strong.weightArray())).isLessThan(0.5 * meanAbs(off.weightArray()));
    }

    static double meanAbs(double[] w) {
        double s = 0;
        for (double x : w) {
            s += Math.abs(x) / w.length;
        }
        return s;
    }
}
