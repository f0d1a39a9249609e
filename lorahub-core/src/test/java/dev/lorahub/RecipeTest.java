package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.optim.AdamOptimizer;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;

import org.junit.jupiter.api.Test;

import java.util.List;

/** {@link LearnStep#recipe(Recipe)}: each recipe is the settings its Javadoc names, no more. */
class RecipeTest {
    static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    static final List<LoraModule> MODULES = ToyTasks.modules(MODEL.config(), "toy", 4, 2, 1L);
    static final ToyTask TASK =
            ToyTasks.task(
                    MODEL,
                    MODULES,
                    new double[] {0.8, -0.5, 0.0, 0.6},
                    ToyTasks.Combination.EXACT_SUM,
                    5,
                    32,
                    3L);

    private static LearnStep step() {
        return LoraHub.compose(MODULES).fewShot(TASK.examples()).on(MODEL).seed(7);
    }

    @Test
    void best_is_every_module_cat_and_adam_for_its_budget_of_forward_equivalents() {
        LoraHubResult viaRecipe = step().recipe(Recipe.BEST).run();
        LoraHubResult spelledOut =
                step().select(ModuleSelection.all())
                        .strategy(MergeStrategy.CAT)
                        .optimizer(new AdamOptimizer(0.05))
                        .budget(225)
                        .run();
        assertThat(viaRecipe.weightArray()).containsExactly(spelledOut.weightArray());
        assertThat(viaRecipe.bestScore()).isEqualTo(spelledOut.bestScore());
        assertThat(viaRecipe.provenance().optimizer()).isEqualTo("adam");
        assertThat(viaRecipe.provenance().strategy()).isEqualTo("CAT");
        assertThat(viaRecipe.provenance().selection()).isEqualTo("all");
        assertThat(viaRecipe.provenance().budget()).isEqualTo(Recipe.BEST_BUDGET).isEqualTo(225);
        assertThat(viaRecipe.forwardEquivalents()).isEqualTo(225);
        assertThat(viaRecipe.trace()).hasSize(225 / 3);
        assertThat(viaRecipe.state()).isEqualTo(LoraHubResult.State.COMPLETED);
    }

    @Test
    void short_is_every_module_cat_and_adam_on_one_example_mini_batches_for_20() {
        LoraHubResult viaRecipe = step().recipe(Recipe.SHORT).run();
        LoraHubResult spelledOut =
                step().select(ModuleSelection.all())
                        .strategy(MergeStrategy.CAT)
                        .optimizer(new AdamOptimizer(0.03).withBetas(0.7, 0.99))
                        .miniBatch(1)
                        .budget(20)
                        .run();
        assertThat(viaRecipe.weightArray()).containsExactly(spelledOut.weightArray());
        assertThat(viaRecipe.bestScore()).isEqualTo(spelledOut.bestScore());
        assertThat(viaRecipe.provenance().optimizer()).isEqualTo("adam");
        assertThat(viaRecipe.provenance().strategy()).isEqualTo("CAT");
        assertThat(viaRecipe.provenance().budget()).isEqualTo(Recipe.SHORT_BUDGET).isEqualTo(20);
        // 5 examples: floor((20 - 1) / 3) = 6 epochs of 5 one-example steps (3 fwd-eq each
        // epoch), then one forward on all 5 at the last point
        assertThat(TASK.examples()).hasSize(5);
        assertThat(viaRecipe.trace()).hasSize(6 * 5 + 1);
        assertThat(viaRecipe.forwardEquivalents()).isEqualTo(6 * 3 + 1);
        assertThat(viaRecipe.state()).isEqualTo(LoraHubResult.State.COMPLETED);
        // the Adam of the recipe is not the default one: b1 0.9 moves the weights elsewhere
        LoraHubResult defaultBetas =
                step().select(ModuleSelection.all())
                        .strategy(MergeStrategy.CAT)
                        .optimizer(new AdamOptimizer(0.03))
                        .miniBatch(1)
                        .budget(20)
                        .run();
        assertThat(viaRecipe.weightArray()).isNotEqualTo(defaultBetas.weightArray());
    }

    @Test
    void a_recipe_after_short_runs_full_batches_again() {
        LoraHubResult best = step().recipe(Recipe.BEST).budget(30).run();
        LoraHubResult afterShort = step().recipe(Recipe.SHORT).recipe(Recipe.BEST).budget(30).run();
        assertThat(afterShort.weightArray()).containsExactly(best.weightArray());
        assertThat(afterShort.trace()).hasSize(10);
        LoraHubResult paper = step().recipe(Recipe.SHORT).recipe(Recipe.PAPER).budget(12).run();
        assertThat(paper.weightArray())
                .containsExactly(step().recipe(Recipe.PAPER).budget(12).run().weightArray());
    }

    @Test
    void paper_is_what_a_plain_run_does_even_after_other_settings() {
        LoraHubResult plain = step().run();
        LoraHubResult paper =
                step().strategy(MergeStrategy.CAT)
                        .optimizer("quadratic")
                        .budget(7)
                        .select(ModuleSelection.lowestLoss(2))
                        .recipe(Recipe.PAPER)
                        .run();
        assertThat(paper.weightArray()).containsExactly(plain.weightArray());
        assertThat(paper.provenance().optimizer()).isEqualTo("cobyla");
        assertThat(paper.provenance().strategy()).isEqualTo("LORAHUB");
        assertThat(paper.provenance().budget()).isEqualTo(LoraHub.DEFAULT_BUDGET);
        assertThat(paper.provenance().selection()).isEqualTo("all");
        assertThat(paper.trace()).hasSize(LoraHub.DEFAULT_BUDGET);
    }

    @Test
    void options_set_after_a_recipe_override_it() {
        LoraHubResult r = step().recipe(Recipe.BEST).budget(30).run();
        assertThat(r.trace()).hasSize(10);
        assertThat(r.forwardEquivalents()).isEqualTo(30);
        assertThat(r.provenance().optimizer()).isEqualTo("adam");
    }

    @Test
    void parse_takes_the_cli_names_and_refuses_others_listing_them() {
        assertThat(Recipe.parse("best")).isEqualTo(Recipe.BEST);
        assertThat(Recipe.parse("PAPER")).isEqualTo(Recipe.PAPER);
        assertThat(Recipe.parse("Short")).isEqualTo(Recipe.SHORT);
        assertThatThrownBy(() -> Recipe.parse("fast"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'fast'")
                .hasMessageContaining("paper, best, short");
    }
}
