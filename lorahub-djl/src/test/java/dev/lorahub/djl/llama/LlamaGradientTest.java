package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.DjlBackend;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LossGradient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@link LlamaBaseModel#lossGradient}: the weight gradients from DJL autograd, projected on each
 * adapter's update, against central finite differences of the loss along the CAT weights, on the
 * hf-tiny LLaMA and its three PEFT adapters.
 */
class LlamaGradientTest {
    private static final double[] W = {0.3, -0.2, 0.5};

    private static HfTinyFixture fx;
    private static LlamaBaseModel model;
    private static List<LoraModule> adapters;

    @BeforeAll
    static void load() throws IOException {
        fx = new HfTinyFixture();
        model = (LlamaBaseModel) new DjlBackend().load(fx.model());
        adapters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            adapters.add(fx.adapter("adapter_" + i));
        }
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static List<FewShotExample> examples() {
        int[][] ids = HfTinyFixture.ints(fx.inputs.get("input_ids"));
        int[][] labels = HfTinyFixture.ints(fx.inputs.get("labels"));
        return List.of(
                FewShotExample.tokenized(ids[0], labels[0]),
                FewShotExample.tokenized(Arrays.copyOf(ids[1], 6), Arrays.copyOf(labels[1], 6)));
    }

    private static Set<String> paths() {
        Set<String> p = new LinkedHashSet<>();
        adapters.forEach(m -> p.addAll(m.layers().keySet()));
        return p;
    }

    private static LoraModule cat(double[] w) {
        return Composer.of(MergeStrategy.CAT).merge("cat", adapters, w);
    }

    /** {@code <G, deltaW>} with deltaW formed explicitly (independent of core's projection). */
    private static double directional(LossGradient g, LoraModule module) {
        double sum = 0;
        for (LoraLayer layer : module.layers().values()) {
            float[] grad = g.weightGradients().get(layer.modulePath());
            float[] delta = layer.deltaWeight();
            for (int i = 0; i < delta.length; i++) {
                sum += (double) grad[i] * delta[i];
            }
        }
        return sum;
    }

    @Test
    void the_derivative_along_each_cat_weight_matches_central_finite_differences() {
        try (EncodedBatch batch = model.encode(examples())) {
            LossGradient g = model.lossGradient(cat(W), batch, paths());
            assertThat(g.loss()).isCloseTo(model.loss(cat(W), batch), within(1e-6));
            double h = 1e-2;
            for (int i = 0; i < 3; i++) {
                double[] up = W.clone();
                double[] down = W.clone();
                up[i] += h;
                down[i] -= h;
                double fd = (model.loss(cat(up), batch) - model.loss(cat(down), batch)) / (2 * h);
                double analytic = directional(g, adapters.get(i));
                // float32 forward: loss noise ~1e-6 over 2h = 0.02 gives ~5e-5, plus O(h^2)
                assertThat(Math.abs(analytic - fd))
                        .as("module %d: autograd %s vs finite differences %s", i, analytic, fd)
                        .isLessThanOrEqualTo(5e-4 + 1e-2 * Math.abs(fd));
                assertThat(Math.abs(fd)).as("a non-trivial derivative").isGreaterThan(1e-3);
            }
        }
    }

    @Test
    void repeated_calls_give_the_same_gradient_and_leave_the_base_model_unchanged() {
        try (EncodedBatch batch = model.encode(examples())) {
            LoraModule base = new LoraModule("base", adapters.get(0).config(), List.of());
            double before = model.loss(base, batch);
            LossGradient a = model.lossGradient(cat(W), batch, paths());
            LossGradient b = model.lossGradient(cat(W), batch, paths());
            for (String path : paths()) {
                // gradients do not accumulate from one call to the next
                assertThat(b.weightGradients().get(path))
                        .as(path)
                        .containsExactly(a.weightGradients().get(path));
            }
            assertThat(model.loss(base, batch)).isEqualTo(before);
        }
    }

    @Test
    void an_unknown_module_path_is_refused_naming_it() {
        try (EncodedBatch batch = model.encode(examples())) {
            assertThatThrownBy(() -> model.lossGradient(cat(W), batch, Set.of("model.nope")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("model.nope");
        }
    }

    @Test
    void adam_lowers_the_score_below_the_base_models_and_is_deterministic() {
        LoraHubResult a = run();
        LoraHubResult b = run();
        assertThat(b.weightArray()).containsExactly(a.weightArray());
        assertThat(a.forwardEquivalents()).isEqualTo(30);
        assertThat(a.trace()).hasSize(10);
        double start = a.trace().get(0).score(); // w = 0: the base model
        assertThat(a.bestScore()).isLessThan(start - 1e-3);
    }

    private static LoraHubResult run() {
        return LoraHub.compose(adapters)
                .fewShot(examples())
                .on(model)
                .strategy(MergeStrategy.CAT)
                .optimizer("adam")
                .budget(30)
                .run();
    }

    private static org.assertj.core.data.Offset<Double> within(double d) {
        return org.assertj.core.data.Offset.offset(d);
    }
}
