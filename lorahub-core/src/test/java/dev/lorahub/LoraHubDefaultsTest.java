package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
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

/** A run with nothing but modules and examples behaves as the reference's lorahub_learning. */
class LoraHubDefaultsTest {
    static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    static final List<LoraModule> MODULES = ToyTasks.modules(MODEL.config(), "toy", 4, 2, 1L);
    static final ToyTask TASK =
            ToyTasks.task(
                    MODEL,
                    MODULES,
                    new double[] {0.8, -0.5, 0.0, 0.6},
                    ToyTasks.Combination.SEPARATE_SUM,
                    5,
                    64,
                    3L);

    /** Delegates to the toy model and records the size of every batched loss call. */
    static final class CountingModel implements BaseModel {
        final List<Integer> calls = new ArrayList<>();

        @Override
        public String modelType() {
            return MODEL.modelType();
        }

        @Override
        public Map<String, LinearShape> linearModules() {
            return MODEL.linearModules();
        }

        @Override
        public Optional<TextTokenizer> tokenizer() {
            return MODEL.tokenizer();
        }

        @Override
        public EncodedBatch encode(List<FewShotExample> examples) {
            return MODEL.encode(examples);
        }

        @Override
        public double loss(LoraModule adapter, EncodedBatch batch) {
            calls.add(1);
            return MODEL.loss(adapter, batch);
        }

        @Override
        public double[] losses(List<LoraModule> adapters, EncodedBatch batch) {
            calls.add(adapters.size());
            return MODEL.losses(adapters, batch);
        }

        @Override
        public List<int[]> generate(LoraModule a, List<int[]> p, GenerationConfig c) {
            return MODEL.generate(a, p, c);
        }

        @Override
        public void close() {}
    }

    @Test
    void defaults_are_cobyla_budget_40_seed_42_starting_at_zero_then_probing_each_axis() {
        CountingModel model = new CountingModel();
        LoraHubResult r = LoraHub.compose(MODULES).fewShot(TASK.examples()).on(model).run();

        Provenance p = r.provenance();
        // the literal, not LoraHub.DEFAULT_OPTIMIZER: the reference runs NGOpt = COBYLA
        assertThat(p.optimizer()).isEqualTo("cobyla");
        assertThat(p.budget()).isEqualTo(40);
        assertThat(p.seed()).isEqualTo(42);
        assertThat(p.regularization()).isEqualTo(0.05);
        assertThat(p.lowerBound()).isEqualTo(-1.5);
        assertThat(p.upperBound()).isEqualTo(1.5);
        assertThat(r.trace()).hasSizeLessThanOrEqualTo(40);
        // spec: the first N + 1 evaluations are w = 0, then one-axis probes of +0.5 (COBYLA's
        // initial simplex: a probe that improves becomes the centre of the later probes)
        assertThat(r.trace().get(0).weights()).containsOnly(0.0);
        for (int i = 0; i < MODULES.size(); i++) {
            double[] w = r.trace().get(i + 1).weights();
            for (int j = 0; j < w.length; j++) {
                if (j == i) {
                    assertThat(w[j]).as("probe %d, weight %d", i, j).isCloseTo(0.5, within(1e-12));
                } else if (j > i) {
                    assertThat(w[j]).as("probe %d, weight %d", i, j).isZero();
                } else {
                    assertThat(w[j]).as("probe %d, weight %d", i, j).isIn(0.0, 0.5);
                }
            }
        }
        // every evaluation went through the backend, in calls of one or more candidates
        assertThat(model.calls.stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(r.trace().size());
        double base = r.trace().get(0).loss();
        assertThat(r.bestLoss()).as("base %s", base).isLessThan(base);
    }

    @Test
    void the_random_optimizer_can_be_named() {
        LoraHubResult r =
                LoraHub.compose(MODULES)
                        .fewShot(TASK.examples())
                        .on(MODEL)
                        .optimizer("random")
                        .budget(10)
                        .run();
        assertThat(r.provenance().optimizer()).isEqualTo("random");
        assertThat(r.trace()).hasSize(10);
    }
}
