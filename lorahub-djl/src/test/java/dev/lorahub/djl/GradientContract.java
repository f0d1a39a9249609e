package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.spi.DifferentiableModel;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LossGradient;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What every DJL backend's {@code lossGradient} must do, checked on an hf-tiny model and its three
 * PEFT adapters: the weight gradients from DJL autograd, projected on each adapter's update, agree
 * with central finite differences of the loss along the CAT weights; calls do not accumulate or
 * change the base; unknown paths are refused; Adam through the LoraHub API lowers the score and is
 * deterministic. Subclasses load the model and name the figures that differ per model.
 */
public abstract class GradientContract {
    private static final double[] W = {0.3, -0.2, 0.5};

    /** The loaded model. */
    protected abstract DifferentiableModel model();

    /** The fixture's three adapters. */
    protected abstract List<LoraModule> adapters();

    /** The examples of one batch. */
    protected abstract List<FewShotExample> examples();

    /** A module path the model lacks, in its naming. */
    protected abstract String unknownPath();

    /** The smallest finite-difference derivative each module must show (a non-trivial test). */
    protected abstract double minDerivative();

    /** How far below the base model's score Adam must get in 30 forward-equivalents. */
    protected abstract double minImprovement();

    private Set<String> paths() {
        Set<String> p = new LinkedHashSet<>();
        adapters().forEach(m -> p.addAll(m.layers().keySet()));
        return p;
    }

    private LoraModule cat(double[] w) {
        return Composer.of(MergeStrategy.CAT).merge("cat", adapters(), w);
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
        DifferentiableModel model = model();
        try (EncodedBatch batch = model.encode(examples())) {
            LossGradient g = model.lossGradient(cat(W), batch, paths());
            // lossGradient patches in place; loss may take side branches (AdapterMode.AUTO), and
            // the two agree within float rounding (AdapterModeTest.RTOL, relative)
            double loss = model.loss(cat(W), batch);
            assertThat(g.loss()).isCloseTo(loss, within(AdapterModeTest.RTOL * Math.abs(loss)));
            double h = 1e-2;
            for (int i = 0; i < 3; i++) {
                double[] up = W.clone();
                double[] down = W.clone();
                up[i] += h;
                down[i] -= h;
                double fd = (model.loss(cat(up), batch) - model.loss(cat(down), batch)) / (2 * h);
                double analytic = directional(g, adapters().get(i));
                // float32 forward: loss noise ~1e-6 over 2h = 0.02 gives ~5e-5, plus O(h^2)
                assertThat(Math.abs(analytic - fd))
                        .as("module %d: autograd %s vs finite differences %s", i, analytic, fd)
                        .isLessThanOrEqualTo(5e-4 + 1e-2 * Math.abs(fd));
                assertThat(Math.abs(fd)).as("a non-trivial derivative").isGreaterThan(minDerivative());
            }
        }
    }

    @Test
    void repeated_calls_give_the_same_gradient_and_leave_the_base_model_unchanged() {
        DifferentiableModel model = model();
        try (EncodedBatch batch = model.encode(examples())) {
            LoraModule base = new LoraModule("base", adapters().get(0).config(), List.of());
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
        DifferentiableModel model = model();
        try (EncodedBatch batch = model.encode(examples())) {
            assertThatThrownBy(() -> model.lossGradient(cat(W), batch, Set.of(unknownPath())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(unknownPath());
        }
    }

    @Test
    void adam_through_the_lorahub_api_lowers_the_score_below_the_base_models_and_is_deterministic() {
        LoraHubResult a = adam();
        LoraHubResult b = adam();
        assertThat(b.weightArray()).containsExactly(a.weightArray());
        assertThat(a.forwardEquivalents()).isEqualTo(30);
        assertThat(a.trace()).hasSize(10);
        double start = a.trace().get(0).score(); // w = 0: the base model
        assertThat(a.bestScore()).isLessThan(start - minImprovement());
    }

    private LoraHubResult adam() {
        return LoraHub.compose(adapters())
                .fewShot(examples())
                .on(model())
                .strategy(MergeStrategy.CAT)
                .optimizer("adam")
                .budget(30)
                .run();
    }
}
