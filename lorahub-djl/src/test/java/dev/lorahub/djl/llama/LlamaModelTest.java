package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.djl.InPlaceLora;
import dev.lorahub.io.SafetensorsReader;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaModelTest {
    private static NDArray create(NDManager m, int[][] rows) {
        int[] flat = new int[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        return m.create(flat, new Shape(rows.length, rows[0].length));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.lorahub.djl.llama.HfTinyFixture#casesAndVariants")
    void reproduces_hf_logits_and_loss_of_the_right_padded_batch(String name, String variant)
            throws IOException {
        HfTinyFixture fx = new HfTinyFixture(name);
        float[] ref = fx.logits(variant);
        double refLoss = fx.results.get("losses").get(variant).asDouble();
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaFiles.load(fx.model(), root);
                InPlaceLora lora = new InPlaceLora(model.linearWeights(), root)) {
            lora.apply(fx.adapter(variant)); // base: no layers, nothing changes
            try (NDManager call = root.newSubManager()) {
                NDArray ids = create(call, HfTinyFixture.ints(fx.inputs.get("input_ids")));
                NDArray mask = create(call, HfTinyFixture.ints(fx.inputs.get("attention_mask")));
                NDArray labels = create(call, HfTinyFixture.ints(fx.inputs.get("labels")));
                NDArray logits = model.forward(ids, mask);
                assertThat(logits.getShape()).isEqualTo(new Shape(2, 8, 256));
                float[] got = logits.toFloatArray();
                double maxDiff = 0;
                double maxRef = 0;
                for (int i = 0; i < got.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                }
                // README tolerance: max |diff| <= 1e-4 * max(1, max|ref|)
                assertThat(maxDiff).as(name + " " + variant).isLessThanOrEqualTo(1e-4 * Math.max(1, maxRef));
                double loss = CrossEntropy.causal(logits, labels).getFloat();
                assertThat(Math.abs(loss - refLoss) / refLoss).as(name + " " + variant).isLessThan(1e-5);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "adapter_0"})
    void mistral_without_its_window_matches_hf_run_with_a_window_wider_than_the_inputs(
            String variant) throws IOException {
        // the fixture's README: the same weights run by transformers with sliding_window 4096
        HfTinyFixture fx = new HfTinyFixture("mistral");
        float[] ref;
        try (SafetensorsReader r =
                SafetensorsReader.open(
                        fx.root.resolve("ref/logits_sliding_window_4096.safetensors"))) {
            ref = r.readFloat32(variant);
        }
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaFiles.load(fx.model(), root);
                InPlaceLora lora = new InPlaceLora(model.linearWeights(), root)) {
            assertThat(model.config().slidingWindow()).isEqualTo(4);
            lora.apply(fx.adapter(variant));
            // the same weights (owned by `model`) under a config without the window
            LlamaConfig unwindowed = model.config().toBuilder().slidingWindow(-1).build();
            try (NDManager call = root.newSubManager()) {
                LlamaModel wide = new LlamaModel(unwindowed, model.weights(), call);
                NDArray ids = create(call, HfTinyFixture.ints(fx.inputs.get("input_ids")));
                NDArray mask = create(call, HfTinyFixture.ints(fx.inputs.get("attention_mask")));
                float[] got = wide.forward(ids, mask).toFloatArray();
                float[] windowed = model.forward(ids, mask).toFloatArray();
                double maxDiff = 0;
                double windowEffect = 0;
                for (int i = 0; i < got.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
                    windowEffect = Math.max(windowEffect, Math.abs(windowed[i] - ref[i]));
                }
                // logits below 3 in magnitude: README tolerance 1e-4 absolute
                assertThat(maxDiff).as(variant).isLessThanOrEqualTo(1e-4);
                // README: the window moves these logits by 1.9 to 3.1
                assertThat(windowEffect).as(variant).isGreaterThan(1.0);
            }
        }
    }

    @Test
    void mlp_biases_add_the_closed_form_constant_of_a_zero_weight_mlp() {
        // GIVEN a one-layer model with mlp_bias whose gate/up weights are zero: its MLP outputs
        // the constant m = W_down (silu(b_gate) * b_up) + b_down for every token
        LlamaConfig withMlpBias =
                LlamaConfig.builder("llama").sizes(40, 16, 24, 1, 2, 1).mlpBias(true).build();
        // AND the same model without MLP biases, all MLP weights zero, and an o_proj bias of m:
        // it adds m to the residual at the same place (attention q/k/v biases zero)
        LlamaConfig withOutputBias =
                LlamaConfig.builder("llama").sizes(40, 16, 24, 1, 2, 1).attentionBias(true).build();
        String p = "model.layers.0.";
        Random rnd = new Random(7);
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel a = LlamaModel.create(withMlpBias, 11, root);
                LlamaModel b = LlamaModel.create(withOutputBias, 11, root)) {
            float[] gate = gaussians(rnd, 24);
            float[] up = gaussians(rnd, 24);
            float[] down = gaussians(rnd, 16);
            a.weights().get(p + "mlp.gate_proj.bias").set(gate);
            a.weights().get(p + "mlp.up_proj.bias").set(up);
            a.weights().get(p + "mlp.down_proj.bias").set(down);
            a.weights().get(p + "mlp.gate_proj.weight").set(new float[24 * 16]);
            a.weights().get(p + "mlp.up_proj.weight").set(new float[24 * 16]);
            float[] wDown = a.weights().get(p + "mlp.down_proj.weight").toFloatArray();
            float[] m = new float[16];
            for (int o = 0; o < 16; o++) {
                double acc = down[o];
                for (int i = 0; i < 24; i++) {
                    double silu = gate[i] / (1 + Math.exp(-gate[i]));
                    acc += wDown[o * 24 + i] * silu * up[i];
                }
                m[o] = (float) acc;
            }
            for (String mlp : new String[] {"gate_proj", "up_proj", "down_proj"}) {
                String name = p + "mlp." + mlp + ".weight";
                b.weights().get(name).set(new float[(int) b.weights().get(name).size()]);
            }
            for (var e : a.weights().entrySet()) {
                if (b.weights().containsKey(e.getKey()) && !e.getKey().contains("mlp.")) {
                    b.weights().get(e.getKey()).set(e.getValue().toFloatArray());
                }
            }
            b.weights().get(p + "self_attn.o_proj.bias").set(m);
            try (NDManager call = root.newSubManager()) {
                NDArray ids = call.create(new int[] {3, 14, 15, 9, 26, 5}, new Shape(1, 6));
                float[] got = a.forward(ids, null).toFloatArray();
                float[] want = b.forward(ids, null).toFloatArray();
                // float32 forwards summing in a different order: 1e-5 absolute
                for (int i = 0; i < got.length; i++) {
                    assertThat((double) got[i]).as("logit " + i).isCloseTo(want[i], within(1e-5));
                }
                // and the biases matter: without them the logits move
                a.weights().get(p + "mlp.down_proj.bias").set(new float[16]);
                float[] without = a.forward(ids, null).toFloatArray();
                assertThat(without).isNotEqualTo(got);
            }
        }
    }

    private static float[] gaussians(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
