package dev.lorahub.djl.llama;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.DjlBackend;
import dev.lorahub.djl.GradientContract;
import dev.lorahub.spi.DifferentiableModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link LlamaBaseModel#lossGradient} on the hf-tiny LLaMA and its three PEFT adapters: the checks
 * of {@link GradientContract}.
 */
class LlamaGradientTest extends GradientContract {
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
        int[][] ids = HfTinyFixture.ints(fx.inputs.get("input_ids"));
        int[][] labels = HfTinyFixture.ints(fx.inputs.get("labels"));
        return List.of(
                FewShotExample.tokenized(ids[0], labels[0]),
                FewShotExample.tokenized(Arrays.copyOf(ids[1], 6), Arrays.copyOf(labels[1], 6)));
    }

    @Override
    protected String unknownPath() {
        return "model.nope";
    }

    @Override
    protected double minDerivative() {
        return 1e-3;
    }

    @Override
    protected double minImprovement() {
        return 1e-3;
    }
}
