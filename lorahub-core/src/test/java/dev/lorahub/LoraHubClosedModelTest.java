package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.spi.ModelClosedException;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;
import dev.lorahub.testkit.ToyTasks.Combination;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A model closed before or during a LoraHub run fails it with ModelClosedException itself. */
class LoraHubClosedModelTest {
    private static final double[] TRUTH = {0.8, -0.5, 0.0, 0.6};

    private static ToyModel model() {
        return ToyModel.create(ToyModelConfig.small());
    }

    private static List<LoraModule> modules(ToyModel m) {
        return ToyTasks.modules(m.config(), "toy", 4, 2, 1L);
    }

    @Test
    void a_run_on_a_model_closed_before_it_throws_model_closed_exception() {
        ToyModel m = model();
        ToyTask t = ToyTasks.task(m, modules(m), TRUTH, Combination.SEPARATE_SUM, 5, 16, 3L);
        m.close();
        assertThatThrownBy(() -> LoraHub.compose(modules(m)).fewShot(t.examples()).on(m).run())
                .isExactlyInstanceOf(ModelClosedException.class)
                .hasMessage("the toy model is closed; cannot encode examples");
    }

    @Test
    void a_model_closed_during_the_search_fails_the_run_with_model_closed_exception_not_wrapped() {
        ToyModel m = model();
        ToyTask t = ToyTasks.task(m, modules(m), TRUTH, Combination.SEPARATE_SUM, 5, 16, 3L);
        for (String optimizer : List.of("cobyla", "random", "quadratic")) {
            ToyModel shared = model();
            LearnStep step =
                    LoraHub.compose(modules(shared))
                            .fewShot(t.examples())
                            .on(shared)
                            .optimizer(optimizer)
                            .budget(20)
                            .listener(
                                    p -> {
                                        if (p.index() == 3) {
                                            shared.close(); // as another thread would
                                        }
                                    });
            assertThatThrownBy(step::run)
                    .as(optimizer)
                    .isExactlyInstanceOf(ModelClosedException.class)
                    .hasMessage("the toy model is closed; cannot compute a loss");
        }
    }
}
