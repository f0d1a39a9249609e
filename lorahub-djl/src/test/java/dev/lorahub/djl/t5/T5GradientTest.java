package dev.lorahub.djl.t5;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.GradientContract;
import dev.lorahub.spi.DifferentiableModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link T5Model#lossGradient} on the hf-tiny T5 and its three PEFT adapters: the checks of {@link
 * GradientContract}.
 */
class T5GradientTest extends GradientContract {
    private static T5Fixture fx;
    private static T5Model model;
    private static List<LoraModule> adapters;

    @BeforeAll
    static void load() throws IOException {
        fx = T5Fixture.require();
        model = T5Model.load(fx.model());
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

    @Override
    protected DifferentiableModel model() {
        return model;
    }

    @Override
    protected List<LoraModule> adapters() {
        return adapters;
    }

    @Override
    protected List<FewShotExample> examples() {
        List<FewShotExample> out = new ArrayList<>();
        for (int i = 0; i < fx.labels().size(); i++) {
            out.add(FewShotExample.tokenized(fx.encoderInputs().get(i), fx.labels().get(i)));
        }
        return out;
    }

    @Override
    protected String unknownPath() {
        return "decoder.nope";
    }

    @Override
    protected double minDerivative() {
        return 1e-4;
    }

    @Override
    protected double minImprovement() {
        return 1e-4;
    }
}
