package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.djl.internal.FreedBuffers;
import dev.lorahub.djl.train.LoraPair;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaTrainingForwardTest {
    private static final LlamaConfig SMALL = LlamaConfig.of(40, 16, 24, 2, 4, 2);
    private static final String Q = "model.layers.1.self_attn.q_proj";

    private static float[] randn(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    private static double loss(LlamaModel model, int[] ids, float[] a, float[] b) {
        try (NDManager call = model.manager().getParentManager().newSubManager()) {
            NDArray x = call.create(ids, new Shape(2, ids.length / 2));
            Map<String, LoraPair> lora =
                    Map.of(
                            Q,
                            new LoraPair(
                                    call.create(a, new Shape(2, 16)),
                                    call.create(b, new Shape(16, 2)),
                                    1.5f));
            return CrossEntropy.causal(model.logits(x, lora), x).getFloat();
        }
    }

    @Test
    void lora_gradients_match_central_differences() {
        Random rnd = new Random(3);
        int[] ids = new int[12];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rnd.nextInt(40);
        }
        float[] a = randn(rnd, 32, 0.5);
        float[] b = randn(rnd, 32, 0.5);
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(SMALL, 7, root);
                NDManager call = root.newSubManager()) {
            NDArray x = call.create(ids, new Shape(2, 6));
            NDArray na = call.create(a, new Shape(2, 16));
            NDArray nb = call.create(b, new Shape(16, 2));
            na.setRequiresGradient(true);
            nb.setRequiresGradient(true);
            float[] gradB;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss =
                        CrossEntropy.causal(
                                model.logits(x, Map.of(Q, new LoraPair(na, nb, 1.5f))), x);
                gc.backward(loss);
                gradB = nb.getGradient().toFloatArray();
            }
            for (int k : new int[] {0, 5, 17, 30}) {
                double eps = 1e-2;
                float[] plus = b.clone();
                float[] minus = b.clone();
                plus[k] += eps;
                minus[k] -= eps;
                double numeric =
                        (loss(model, ids, a, plus) - loss(model, ids, a, minus)) / (2 * eps);
                // float32 central difference: 2% of the gradient plus 2e-4 absolute
                assertThat(gradB[k])
                        .as("dL/dB[%d]", k)
                        .isCloseTo(
                                (float) numeric,
                                org.assertj.core.data.Offset.offset(
                                        (float) (0.02 * Math.abs(numeric) + 2e-4)));
            }
        }
    }

    /**
     * Regression test for a use-after-free: DJL's {@code mul(Number)}, {@code div(Number)} and
     * {@code pow(Number)} close the scalar operand (a tensor over a Java direct buffer) right after
     * the op, while autograd keeps it for the backward. Freed buffers are collected here between
     * forward and backward and their memory is refilled with NaN bytes; the gradients must not
     * change (bit for bit) and stay finite.
     */
    @Test
    void gradients_do_not_change_when_freed_buffers_are_reused_before_backward()
            throws InterruptedException {
        Random rnd = new Random(5);
        int[] ids = new int[12];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rnd.nextInt(40);
        }
        float[] a = randn(rnd, 32, 0.5);
        float[] b = randn(rnd, 32, 0.5);
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(SMALL, 9, root)) {
            Map<String, float[]> reference = gradients(model, ids, a, b, false);
            Map<String, float[]> scrubbed = gradients(model, ids, a, b, true);
            assertThat(scrubbed.keySet()).isEqualTo(reference.keySet());
            for (Map.Entry<String, float[]> e : reference.entrySet()) {
                float[] g = scrubbed.get(e.getKey());
                for (float v : g) {
                    assertThat(Float.isFinite(v)).as("finite %s", e.getKey()).isTrue();
                }
                assertThat(g).as(e.getKey()).containsExactly(e.getValue());
            }
        }
    }

    /** Gradients of every weight and of the LoRA factors, optionally scrubbing freed memory. */
    private static Map<String, float[]> gradients(
            LlamaModel model, int[] ids, float[] a, float[] b, boolean scrub)
            throws InterruptedException {
        Map<String, float[]> out = new TreeMap<>();
        for (NDArray w : model.weights().values()) {
            w.setRequiresGradient(true);
        }
        try (NDManager call = model.manager().getParentManager().newSubManager()) {
            NDArray x = call.create(ids, new Shape(2, 6));
            NDArray na = call.create(a, new Shape(2, 16));
            NDArray nb = call.create(b, new Shape(16, 2));
            na.setRequiresGradient(true);
            nb.setRequiresGradient(true);
            List<ByteBuffer> filler = List.of();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss =
                        CrossEntropy.causal(
                                model.logits(x, Map.of(Q, new LoraPair(na, nb, 1.5f))), x);
                if (scrub) {
                    filler = FreedBuffers.collectAndRefillWithNaN();
                }
                gc.backward(loss);
            }
            out.put("lora.a", na.getGradient().toFloatArray());
            out.put("lora.b", nb.getGradient().toFloatArray());
            for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
                NDArray g = e.getValue().getGradient();
                out.put(e.getKey(), g.toFloatArray());
                g.subi(g); // gradients accumulate: clear for the next call (they are finite)
                g.close();
            }
            assertThat(filler).hasSize(scrub ? 20_000 : 0); // kept alive until here
        } finally {
            for (NDArray w : model.weights().values()) {
                w.setRequiresGradient(false);
            }
        }
        return out;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4})
    void causal_loss_at_scored_positions_equals_the_loss_of_the_full_logits(long seed) {
        Random rnd = new Random(seed);
        int b = 1 + rnd.nextInt(3);
        int t = 3 + rnd.nextInt(6);
        int[] ids = new int[b * t];
        int[] labels = new int[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rnd.nextInt(40);
            labels[i] = rnd.nextInt(3) == 0 ? -100 : ids[i];
        }
        labels[1] = ids[1];
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(SMALL, seed, root);
                NDManager call = root.newSubManager()) {
            NDArray x = call.create(ids, new Shape(b, t));
            NDArray y = call.create(labels, new Shape(b, t));
            float full = CrossEntropy.causal(model.forward(x, null), y).getFloat();
            float scored = model.causalLoss(x, null, y, Map.of()).getFloat();
            // same rows through the same head; float32 summation order may differ: 1e-6 relative
            assertThat(scored)
                    .as("seed %d", seed)
                    .isCloseTo(full, org.assertj.core.data.Offset.offset(1e-6f * full));
        }
    }

    @Test
    void forward_attaches_nothing_to_the_weights_manager() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(SMALL, 1, root)) {
            int before = ((BaseNDManager) model.manager()).getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                try (NDManager call = root.newSubManager()) {
                    NDArray x = call.create(new int[] {1, 2, 3, 4}, new Shape(1, 4));
                    model.forward(x, call.create(new int[] {1, 1, 1, 1}, new Shape(1, 4)));
                }
            }
            assertThat(((BaseNDManager) model.manager()).getManagedArrays()).hasSize(before);
        }
    }

    @Test
    void saved_models_load_back_bit_identically(@TempDir Path dir) throws IOException {
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(SMALL, 11, root)) {
            model.save(dir);
            try (LlamaModel back = LlamaFiles.load(dir, root)) {
                assertThat(back.config()).isEqualTo(model.config());
                for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
                    assertThat(back.weights().get(e.getKey()).toFloatArray())
                            .as(e.getKey())
                            .containsExactly(e.getValue().toFloatArray());
                }
            }
        }
    }

    @Test
    void random_init_follows_the_initializer_range() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model =
                        LlamaModel.create(LlamaConfig.of(64, 64, 128, 1, 4, 4), 5, root)) {
            float[] w = model.weights().get("model.layers.0.mlp.up_proj.weight").toFloatArray();
            double sq = 0;
            for (float v : w) {
                sq += v * v;
            }
            // 8192 samples: the std estimate is within 5% of 0.02 with overwhelming probability
            assertThat(Math.sqrt(sq / w.length))
                    .isCloseTo(0.02, org.assertj.core.data.Offset.offset(0.001));
            assertThat(model.weights().get("model.norm.weight").toFloatArray()).containsOnly(1f);
        }
    }
}
