package dev.lorahub.djl.t5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** T5 through the ServiceLoader backend and the LoraHub API, on the hf-tiny/t5 fixture. */
class T5BackendTest {
    @Test
    void the_service_loader_backend_loads_the_fixture_as_a_t5_model() throws IOException {
        T5Fixture f = T5Fixture.require();
        try (BaseModel model = ModelBackends.load(f.model())) {
            assertThat(model).isInstanceOf(T5Model.class);
            assertThat(model.modelType()).isEqualTo("t5");
            double loss = model.loss(f.adapter("adapter_1"), model.encode(examples(f)));
            double ref = f.referenceLoss("adapter_1");
            assertThat(loss).isCloseTo(ref, within(1e-5 * ref));
        }
    }

    @Test
    void a_lorahub_run_over_the_three_adapters_is_deterministic() throws IOException {
        T5Fixture f = T5Fixture.require();
        List<LoraModule> modules = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            modules.add(f.adapter("adapter_" + i));
        }
        try (T5Model model = T5Model.load(f.model())) {
            LoraHubResult first = run(modules, f, model);
            LoraHubResult second = run(modules, f, model);
            assertThat(second.weightArray()).containsExactly(first.weightArray());
            assertThat(second.bestLoss()).isEqualTo(first.bestLoss());
            assertThat(first.trace()).hasSize(12);
            // the best point's loss is what the model gives for the merged module
            // (the reference objective divides the batch loss by the number of examples)
            double merged = model.loss(first.merged(), model.encode(examples(f)));
            assertThat(first.bestLoss()).isCloseTo(merged / 2, within(1e-6 * merged));
        }
    }

    private static LoraHubResult run(List<LoraModule> modules, T5Fixture f, T5Model model) {
        return LoraHub.compose(modules).fewShot(examples(f)).on(model).budget(12).seed(5).run();
    }

    private static List<FewShotExample> examples(T5Fixture f) {
        List<FewShotExample> out = new ArrayList<>();
        for (int i = 0; i < f.labels().size(); i++) {
            out.add(FewShotExample.tokenized(f.encoderInputs().get(i), f.labels().get(i)));
        }
        return out;
    }
}
