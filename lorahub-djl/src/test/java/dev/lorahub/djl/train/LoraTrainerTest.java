package dev.lorahub.djl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LoraTrainerTest {
    private static final int VOCAB = 12;

    /** Task: after token x comes (x * 5 + 3) mod VOCAB; ids [x, y], only y labelled. */
    private static List<FewShotExample> task(int n, long seed) {
        Random r = new Random(seed);
        List<FewShotExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int x = r.nextInt(VOCAB);
            int y = (x * 5 + 3) % VOCAB;
            out.add(FewShotExample.tokenized(new int[] {x, y}, new int[] {-100, y}));
        }
        return out;
    }

    private static LoraTrainingConfig config(int steps, long seed) {
        return new LoraTrainingConfig(
                4, 8, List.of("q_proj", "v_proj"), 0.0, 0.05, 1, 16, steps, seed);
    }

    @Test
    void training_lowers_the_loss_and_leaves_the_base_untouched() {
        try (NDManager root = NDManager.newBaseManager();
                TinyLm model = new TinyLm(root, VOCAB, 16, 1)) {
            Map<String, float[]> before = snapshot(model.parameters());
            List<Double> losses = new ArrayList<>();
            LoraModule m =
                    LoraTrainer.of(config(150, 3))
                            .listener((step, total, loss) -> losses.add(loss))
                            .train(model, task(64, 2), "toy", "tiny");
            assertThat(losses).hasSize(150);
            double first = losses.get(0);
            double last =
                    losses.subList(140, 150).stream().mapToDouble(d -> d).average().orElseThrow();
            assertThat(last).as("first %s last %s", first, last).isLessThan(0.3 * first);
            assertThat(snapshot(model.parameters()))
                    .allSatisfy((k, v) -> assertThat(v).as(k).containsExactly(before.get(k)));
            assertThat(m.layers()).containsOnlyKeys(TinyLm.Q, TinyLm.V);
            LoraLayer q = m.layer(TinyLm.Q).orElseThrow();
            assertThat(q.rank()).isEqualTo(4);
            assertThat(q.scaling()).isEqualTo(2.0);
            assertThat(m.config().r()).isEqualTo(4);
        }
    }

    @Test
    void the_first_step_sees_the_base_model_and_a_is_kaiming_uniform() {
        try (NDManager root = NDManager.newBaseManager();
                TinyLm model = new TinyLm(root, VOCAB, 16, 1)) {
            // GIVEN one step on all 4 examples, q and v targeted at rank 8 (256 values of A), a
            // learning rate too small to move anything measurably
            List<FewShotExample> examples = task(4, 2);
            LoraTrainingConfig cfg =
                    new LoraTrainingConfig(
                            8, 16, List.of("q_proj", "v_proj"), 0.0, 1e-30, 1, 4, 1, 9);
            List<Double> losses = new ArrayList<>();
            LoraModule m =
                    LoraTrainer.of(cfg)
                            .listener((step, total, loss) -> losses.add(loss))
                            .train(model, examples, "toy", "tiny");
            // THEN the loss of step 1 (before its update) is the base model's: B starts at 0,
            // so the LoRA branch adds nothing. Base loss computed here from the base logits:
            // mean over the examples of -log softmax(logits[x])[y]
            double base = 0;
            try (NDManager scope = root.newSubManager()) {
                for (FewShotExample e : examples) {
                    int[] ids = e.inputIds().orElseThrow();
                    float[] logits =
                            model.logits(scope.create(new int[][] {ids}), Map.of()).toFloatArray();
                    double max = Double.NEGATIVE_INFINITY;
                    for (int v = 0; v < VOCAB; v++) {
                        max = Math.max(max, logits[v]);
                    }
                    double z = 0;
                    for (int v = 0; v < VOCAB; v++) {
                        z += Math.exp(logits[v] - max);
                    }
                    base += (max + Math.log(z) - logits[ids[1]]) / examples.size();
                }
            }
            assertThat(losses).hasSize(1);
            assertThat(losses.get(0)).isCloseTo(base, offset(1e-5 * base));
            // AND A ~ U(-1/sqrt(in), 1/sqrt(in)) (PEFT's kaiming_uniform(a = sqrt(5))): every
            // value inside the bound, and the Kolmogorov-Smirnov distance of the 256 values to
            // that uniform below 1.95 / sqrt(256) (the 0.1 % critical value)
            double bound = 1 / Math.sqrt(16);
            List<Float> values = new ArrayList<>();
            for (LoraLayer layer : m.layers().values()) {
                for (float a : layer.loraA()) {
                    values.add(a);
                }
                for (float b : layer.loraB()) {
                    assertThat(Math.abs(b)).as("B after one step of lr 1e-30").isLessThan(1e-20f);
                }
            }
            assertThat(values).hasSize(256);
            values.sort(null);
            double ks = 0;
            for (int k = 0; k < values.size(); k++) {
                double a = values.get(k);
                assertThat(Math.abs(a)).isLessThanOrEqualTo(bound);
                double cdf = (a + bound) / (2 * bound);
                double above = (k + 1.0) / values.size() - cdf;
                ks = Math.max(ks, Math.max(above, cdf - k / (double) values.size()));
            }
            assertThat(ks).as("KS distance to U(-%s, %s)", bound, bound).isLessThan(1.95 / 16);
        }
    }

    @Test
    void same_seed_gives_the_same_module_bit_for_bit_and_another_seed_does_not() {
        try (NDManager root = NDManager.newBaseManager();
                TinyLm model = new TinyLm(root, VOCAB, 16, 1)) {
            float[] a = train(model, 5).layer(TinyLm.V).orElseThrow().loraB();
            float[] b = train(model, 5).layer(TinyLm.V).orElseThrow().loraB();
            float[] c = train(model, 6).layer(TinyLm.V).orElseThrow().loraB();
            assertThat(b).containsExactly(a);
            assertThat(c).isNotEqualTo(a);
        }
    }

    @Test
    void dropout_trains_reproducibly_differently_and_is_recorded_in_the_adapter_config() {
        try (NDManager root = NDManager.newBaseManager();
                TinyLm model = new TinyLm(root, VOCAB, 16, 1)) {
            LoraTrainingConfig plain = config(20, 5);
            LoraTrainingConfig dropped =
                    new LoraTrainingConfig(
                            4, 8, List.of("q_proj", "v_proj"), 0.3, 0.05, 1, 16, 20, 5);
            float[] a = LoraTrainer.of(dropped).train(model, task(32, 2), "toy", "tiny")
                    .layer(TinyLm.V).orElseThrow().loraB();
            LoraModule again = LoraTrainer.of(dropped).train(model, task(32, 2), "toy", "tiny");
            float[] none = LoraTrainer.of(plain).train(model, task(32, 2), "toy", "tiny")
                    .layer(TinyLm.V).orElseThrow().loraB();
            // THEN the same seed gives the same masks, hence the same module bit for bit
            assertThat(again.layer(TinyLm.V).orElseThrow().loraB()).containsExactly(a);
            // AND the masks change what is learnt (same init, same batches, same seed)
            assertThat(a).isNotEqualTo(none);
            assertThat(again.config().loraDropout()).isEqualTo(0.3);
        }
    }

    @Test
    void rejects_targets_the_model_lacks() {
        try (NDManager root = NDManager.newBaseManager();
                TinyLm model = new TinyLm(root, VOCAB, 16, 1)) {
            LoraTrainingConfig cfg =
                    new LoraTrainingConfig(4, 8, List.of("k_proj"), 0.0, 0.01, 1, 4, 1, 9);
            assertThatThrownBy(() -> LoraTrainer.of(cfg).train(model, task(4, 2), "toy", "tiny"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("k_proj")
                    .hasMessageContaining(TinyLm.Q);
        }
    }

    @Test
    void pretraining_lowers_the_loss_of_every_parameter_set() {
        try (NDManager root = NDManager.newBaseManager();
                TinyLm model = new TinyLm(root, VOCAB, 16, 1)) {
            List<Double> losses = new ArrayList<>();
            double tail =
                    Pretrainer.of(new PretrainingConfig(120, 0.03, 10, 1.0))
                            .listener((s, t, l) -> losses.add(l))
                            .train(model, step -> task(32, step));
            assertThat(tail)
                    .as("first %s tail %s", losses.get(0), tail)
                    .isLessThan(0.2 * losses.get(0));
        }
    }

    @Test
    void pretraining_survives_a_burst_of_non_finite_steps_by_restoring_its_snapshot() {
        try (NDManager root = NDManager.newBaseManager();
                TinyLm model = new TinyLm(root, VOCAB, 16, 1)) {
            // GIVEN a model whose forward returns NaN on calls 60..69 (a burst longer than the
            // skip limit of 3, as if the parameters had gone bad)
            int[] calls = {0};
            TrainableModel flaky =
                    new TrainableModel() {
                        @Override
                        public NDManager manager() {
                            return model.manager();
                        }

                        @Override
                        public Map<String, dev.lorahub.spi.LinearShape> linearModules() {
                            return model.linearModules();
                        }

                        @Override
                        public Map<String, NDArray> parameters() {
                            return model.parameters();
                        }

                        @Override
                        public NDArray logits(NDArray ids, Map<String, LoraPair> lora) {
                            NDArray l = model.logits(ids, lora);
                            calls[0]++;
                            return calls[0] > 60 && calls[0] <= 70 ? l.mul(Float.NaN) : l;
                        }
                    };
            List<Double> losses = new ArrayList<>();
            double tail =
                    Pretrainer.of(new PretrainingConfig(150, 0.03, 10, 1.0))
                            .listener((s, t, l) -> losses.add(l))
                            .train(flaky, step -> task(32, step));
            // THEN the NaN steps are reported, training goes on and still converges
            assertThat(losses.subList(60, 70)).allSatisfy(l -> assertThat(l).isNaN());
            assertThat(tail)
                    .as("first %s tail %s", losses.get(0), tail)
                    .isLessThan(0.2 * losses.get(0));
            for (NDArray p : model.parameters().values()) {
                for (float f : p.toFloatArray()) {
                    assertThat(Float.isFinite(f)).isTrue();
                }
            }
        }
    }

    private static LoraModule train(TinyLm model, long seed) {
        return LoraTrainer.of(config(20, seed)).train(model, task(32, 2), "toy", "tiny");
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }
}
