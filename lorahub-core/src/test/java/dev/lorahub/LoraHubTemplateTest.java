package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.TextTokenizer;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTasks;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The example layout a LoraHub run scores: the model's declared one, or the one the caller sets.
 */
class LoraHubTemplateTest {
    static final ToyModel TOY = ToyModel.create(ToyModelConfig.small());
    static final List<LoraModule> MODULES = ToyTasks.modules(TOY.config(), "toy", 3, 2, 5L);
    static final List<FewShotExample> EXAMPLES =
            List.of(FewShotExample.of("abc", "xyz"), FewShotExample.of("hello", "olleh"));

    /** The toy model, declaring a layout as a model folder would. */
    record Declaring(ToyModel toy, ExampleTemplate declared) implements BaseModel {
        @Override
        public String modelType() {
            return toy.modelType();
        }

        @Override
        public Map<String, LinearShape> linearModules() {
            return toy.linearModules();
        }

        @Override
        public Optional<TextTokenizer> tokenizer() {
            return toy.tokenizer();
        }

        @Override
        public ExampleTemplate template() {
            return declared;
        }

        @Override
        public EncodedBatch encode(List<FewShotExample> examples) {
            return toy.encode(examples);
        }

        @Override
        public double loss(LoraModule adapter, EncodedBatch batch) {
            return toy.loss(adapter, batch);
        }

        @Override
        public List<int[]> generate(
                LoraModule adapter, List<int[]> promptIds, GenerationConfig config) {
            return toy.generate(adapter, promptIds, config);
        }

        @Override
        public void close() {}
    }

    /**
     * The reference's loss of the run's first evaluated weights on the examples written out by
     * hand: one batch's token-mean divided by the number of examples, as the reference does.
     */
    private static double firstEvaluationOn(LoraHubResult r, List<FewShotExample> byHand) {
        TracePoint first = r.trace().get(0);
        LoraModule merged =
                Composer.of(MergeStrategy.LORAHUB).merge("first", MODULES, first.weights());
        try (EncodedBatch b = TOY.encode(byHand)) {
            return TOY.loss(merged, b) / byHand.size();
        }
    }

    private static final List<FewShotExample> HUB_LAYOUT =
            List.of(FewShotExample.of("abc>", "xyz"), FewShotExample.of("hello>", "olleh"));

    @Test
    void a_run_scores_text_examples_in_the_layout_the_model_declares() {
        LoraHubResult r =
                LoraHub.compose(MODULES)
                        .fewShot(EXAMPLES)
                        .on(new Declaring(TOY, ExampleTemplate.of("{input}>")))
                        .budget(3)
                        .run();

        assertThat(r.trace().get(0).loss())
                .isCloseTo(firstEvaluationOn(r, HUB_LAYOUT), within(1e-12))
                .isNotCloseTo(firstEvaluationOn(r, EXAMPLES), within(1e-3));
    }

    @Test
    void the_callers_template_overrides_the_declared_one() {
        LoraHubResult r =
                LoraHub.compose(MODULES)
                        .fewShot(EXAMPLES)
                        .on(new Declaring(TOY, ExampleTemplate.of("{input}>")))
                        .template(ExampleTemplate.PLAIN)
                        .budget(3)
                        .run();

        assertThat(r.trace().get(0).loss())
                .isCloseTo(firstEvaluationOn(r, EXAMPLES), within(1e-12));
    }

    @Test
    void a_model_declaring_nothing_reads_text_as_given() {
        LoraHubResult r = LoraHub.compose(MODULES).fewShot(EXAMPLES).on(TOY).budget(3).run();

        assertThat(TOY.template()).isSameAs(ExampleTemplate.PLAIN);
        assertThat(r.trace().get(0).loss())
                .isCloseTo(firstEvaluationOn(r, EXAMPLES), within(1e-12));
    }
}
