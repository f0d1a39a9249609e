package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.djl.internal.InPlaceLora;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LlamaModelTest {
    private static NDArray create(NDManager m, int[][] rows) {
        int[] flat = new int[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        return m.create(flat, new Shape(rows.length, rows[0].length));
    }

    @ParameterizedTest
    @MethodSource("dev.lorahub.djl.HfTinyReference#variants")
    void reproduces_hf_logits_and_loss_of_the_right_padded_batch(String variant)
            throws IOException {
        HfTinyFixture fx = new HfTinyFixture();
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
                assertThat(maxDiff).as(variant).isLessThanOrEqualTo(1e-4 * Math.max(1, maxRef));
                double loss = CrossEntropy.causal(logits, labels).getFloat();
                assertThat(Math.abs(loss - refLoss) / refLoss).as(variant).isLessThan(1e-5);
            }
        }
    }
}
