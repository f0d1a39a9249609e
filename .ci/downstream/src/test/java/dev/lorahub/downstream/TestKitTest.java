package dev.lorahub.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A user's unit test on lorahub's test kit: no DJL, no model files. */
class TestKitTest {
    @Test
    void lorahub_lowers_the_loss_of_a_task_built_from_known_module_weights() {
        ToyModel model = ToyModel.create(ToyModelConfig.small());
        List<LoraModule> modules = ToyTasks.modules(model.config(), "toy", 4, 2, 1L);
        ToyTask task =
                ToyTasks.task(
                        model,
                        modules,
                        new double[] {0.8, -0.5, 0, 0.6},
                        ToyTasks.Combination.SEPARATE_SUM,
                        5,
                        64,
                        3L);
        LoraHubResult r = LoraHub.compose(modules).fewShot(task.examples()).on(model).run();
        assertEquals(4, r.weights().size());
        // the first evaluation is at w = 0 (the base model); the search must improve on it
        double atZero = r.trace().get(0).loss();
        assertTrue(r.bestLoss() < atZero, r.bestLoss() + " should be below " + atZero);
    }
}
