package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.io.AdapterConfig;
import dev.lorahub.model.ModelNotFoundException;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every invalid call fails before any forward pass, with a message naming the culprit. */
class LoraHubValidationTest {
    static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    static final List<LoraModule> MODULES = ToyTasks.modules(MODEL.config(), "toy", 3, 2, 1L);
    static final List<FewShotExample> EXAMPLES =
            List.of(FewShotExample.tokenized(new int[] {3, 4, 5}, new int[] {3, 4, 5}));

    static LearnStep step(List<LoraModule> modules) {
        return LoraHub.compose(modules)
                .fewShot(EXAMPLES)
                .on(MODEL)
                .optimizer(new LocalRandomSearch())
                .budget(3);
    }

    @Test
    void rejects_no_modules() {
        assertThatThrownBy(() -> LoraHub.compose(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no LoRA modules");
    }

    @Test
    void rejects_no_examples() {
        assertThatThrownBy(() -> LoraHub.compose(MODULES).fewShot(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no few-shot examples");
    }

    @Test
    void rejects_modules_for_different_base_models() {
        LoraModule other = ToyTasks.modules(MODEL.config(), "other-base", 1, 2, 9L).get(0);
        LoraModule renamed =
                new LoraModule("odd", other.config(), List.copyOf(other.layers().values()));
        List<LoraModule> mixed = new ArrayList<>(MODULES);
        mixed.add(renamed);
        assertThatThrownBy(() -> LoraHub.compose(mixed))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("'odd'")
                .hasMessageContaining("'other-base'")
                .hasMessageContaining("'toy'");
    }

    /**
     * A llama.cpp adapter names no base model (base_model_name_or_path empty): it composes with
     * modules that name one; the base is then the named one, and with none named a run without a
     * model is refused saying so.
     */
    @Test
    void a_module_naming_no_base_model_composes_with_any() {
        LoraModule first = MODULES.get(0);
        LoraModule unnamed =
                new LoraModule(
                        "gguf",
                        first.config().toBuilder().baseModelNameOrPath(null).build(),
                        List.copyOf(first.layers().values()));
        assertThat(LoraHub.compose(unnamed, MODULES.get(1)).modules()).hasSize(2);
        LoraModule other = ToyTasks.modules(MODEL.config(), "other-base", 1, 2, 9L).get(0);
        LoraModule renamed =
                new LoraModule("odd", other.config(), List.copyOf(other.layers().values()));
        assertThatThrownBy(() -> LoraHub.compose(unnamed, MODULES.get(1), renamed))
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessage(
                        "module 'odd' is for base model 'other-base' but module 'toy-1' is for"
                                + " 'toy'");
        assertThatThrownBy(() -> LoraHub.compose(unnamed).fewShot(EXAMPLES).run())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no module names its base model")
                .hasMessageContaining(".on(model)");
    }

    @Test
    void rejects_repeated_names() {
        assertThatThrownBy(() -> LoraHub.compose(MODULES.get(0), MODULES.get(0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'toy-0'");
    }

    @Test
    void lorahub_strategy_rejects_unequal_ranks() {
        LoraModule rank4 = ToyTasks.modules(MODEL.config(), "toy", 1, 4, 5L).get(0);
        LoraModule r4 =
                new LoraModule("rank-4", rank4.config(), List.copyOf(rank4.layers().values()));
        List<LoraModule> mixed = new ArrayList<>(MODULES);
        mixed.add(r4);
        assertThatThrownBy(() -> step(mixed).run())
                .isInstanceOf(IncompatibleModulesException.class)
                .hasMessageContaining("'rank-4'")
                .hasMessageContaining("4x8")
                .hasMessageContaining("2x8");
    }

    @Test
    void cat_accepts_unequal_ranks() {
        LoraModule rank4 = ToyTasks.modules(MODEL.config(), "toy", 1, 4, 5L).get(0);
        List<LoraModule> mixed = new ArrayList<>(MODULES);
        mixed.add(rank4.withName("rank-4"));
        LoraHubResult r = step(mixed).strategy(MergeStrategy.CAT).run();
        assertThat(r.merged().layers().get("layers.0.proj").rank()).isEqualTo(2 + 2 + 2 + 4);
    }

    @Test
    void a_pruning_strategy_without_density_fails_before_any_forward() {
        int[] forwards = {0};
        assertThatThrownBy(
                        () ->
                                step(MODULES)
                                        .strategy(MergeStrategy.TIES)
                                        .listener(p -> forwards[0]++)
                                        .run())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("density");
        assertThat(forwards[0]).isZero();
    }

    @Test
    void rejects_a_budget_below_one() {
        LearnStep s = step(MODULES);
        assertThatThrownBy(() -> s.budget(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void rejects_a_base_model_lacking_a_targeted_module() {
        ToyModel oneLayer = ToyModel.create(new ToyModelConfig(16, 8, 1, 7L));
        assertThatThrownBy(() -> step(MODULES).on(oneLayer).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("module 'toy-0' targets 'layers.1.proj'")
                .hasMessageContaining("lacks");
    }

    @Test
    void rejects_a_base_model_whose_weight_has_another_shape() {
        ToyModel wide = ToyModel.create(new ToyModelConfig(16, 12, 2, 7L));
        assertThatThrownBy(() -> step(MODULES).on(wide).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'layers.0.proj' is 8x8")
                .hasMessageContaining("12x12");
    }

    @Test
    void rejects_a_selection_larger_than_the_pool() {
        assertThatThrownBy(() -> step(MODULES).select(ModuleSelection.random(5)).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("random:5 needs at least 5 modules, got 3");
        assertThatThrownBy(() -> ModuleSelection.lowestLoss(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModuleSelection.parse("lowest-loss:x"))
                .hasMessageContaining("'lowest-loss:x'");
        // the old form, which read as "the best recipe", is gone
        assertThatThrownBy(() -> ModuleSelection.parse("best:3")).hasMessageContaining("'best:3'");
    }

    @Test
    void rejects_bad_bounds_batch_size_and_regularization() {
        LearnStep s = step(MODULES);
        assertThatThrownBy(() -> s.bounds(0.5, 1.5)).hasMessageContaining("[0.5, 1.5]");
        assertThatThrownBy(() -> s.bounds(-1, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.batchSize(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> s.regularization(-0.1)).hasMessageContaining("-0.1");
        assertThatThrownBy(() -> s.regularization(Double.NaN)).hasMessageContaining("NaN");
    }

    @Test
    void names_the_backends_tried_when_none_supports_the_base_model(@TempDir Path dir)
            throws IOException {
        Path bert = Files.createDirectories(dir.resolve("bert"));
        Files.writeString(bert.resolve("config.json"), "{\"model_type\": \"bert\"}");
        AdapterConfig cfg = new AdapterConfig(bert.toString(), 2, 4, List.of());
        LoraModule m = new LoraModule("m", cfg, List.copyOf(MODULES.get(0).layers().values()));
        assertThatThrownBy(
                        () ->
                                LoraHub.compose(m)
                                        .fewShot(EXAMPLES)
                                        .optimizer(new LocalRandomSearch())
                                        .run())
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("base_model_name_or_path '" + bert + "'")
                .hasMessageContaining("model_type 'bert'")
                .hasMessageContaining(ToyModel.MODEL_TYPE);
    }
}
