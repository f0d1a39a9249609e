package dev.lorahub.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.model.WeightDtype;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.ModelBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ToyModelTest {
    static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    static final LoraModule NONE = ToyTasks.fullRank("none", "toy", Map.of(), MODEL);

    static double[] logits(Map<String, float[]> w, int x) {
        double[] out = new double[MODEL.config().vocabSize()];
        MODEL.forward(x, w, out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void loss_is_the_token_mean_cross_entropy_of_shifted_labels(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] ids = new int[10];
        int[] labels = new int[10];
        for (int t = 0; t < ids.length; t++) {
            ids[t] = rnd.nextInt(16);
            labels[t] = rnd.nextInt(4) == 0 ? FewShotExample.IGNORE_INDEX : rnd.nextInt(16);
        }
        labels[1] = 5;
        // independent: softmax of each position's logits, scored against the next label
        Map<String, float[]> base = MODEL.effectiveWeights(NONE);
        double sum = 0;
        int n = 0;
        for (int t = 0; t + 1 < ids.length; t++) {
            if (labels[t + 1] == FewShotExample.IGNORE_INDEX) {
                continue;
            }
            double[] l = logits(base, ids[t]);
            double z = 0;
            for (double v : l) {
                z += Math.exp(v);
            }
            sum += Math.log(z) - l[labels[t + 1]];
            n++;
        }
        try (EncodedBatch b = MODEL.encode(List.of(FewShotExample.tokenized(ids, labels)))) {
            assertThat(b.labelledTokens()).isEqualTo(n);
            assertThat(MODEL.loss(NONE, b)).as("seed %d", seed).isCloseTo(sum / n, within(1e-9));
        }
    }

    @Test
    void an_adapter_changes_the_loss_and_leaves_the_base_weights_untouched() {
        LoraModule m = ToyTasks.modules(MODEL.config(), "toy", 1, 2, 3L).get(0);
        ToyTask t =
                ToyTasks.task(
                        MODEL,
                        List.of(m),
                        new double[] {1},
                        ToyTasks.Combination.EXACT_SUM,
                        3,
                        20,
                        1L);
        try (EncodedBatch b = MODEL.encode(t.examples())) {
            double before = MODEL.loss(NONE, b);
            double with = MODEL.loss(m, b);
            double after = MODEL.loss(NONE, b);
            assertThat(with).isNotEqualTo(before);
            assertThat(after).isEqualTo(before);
            // the module's own update equals the full-rank adapter of its deltaWeight
            LoraModule full =
                    ToyTasks.fullRank(
                            "full",
                            "toy",
                            ToyTasks.update(
                                    List.of(m), new double[] {1}, ToyTasks.Combination.EXACT_SUM),
                            MODEL);
            assertThat(MODEL.loss(full, b)).isCloseTo(with, within(1e-6));
        }
    }

    @Test
    void text_examples_score_only_the_output_and_eos() {
        ToyModel m = ToyModel.create(new ToyModelConfig(100, 4, 1, 1L));
        try (EncodedBatch b = m.encode(List.of(FewShotExample.of("ab", "xyz")))) {
            assertThat(b.labelledTokens()).as("3 output chars + EOS").isEqualTo(4);
        }
        assertThat(
                        m.tokenizer()
                                .orElseThrow()
                                .decode(m.tokenizer().orElseThrow().encode("Hi there!", true)))
                .isEqualTo("Hi there!");
    }

    @Test
    void greedy_generation_follows_the_argmax_and_stops_at_eos() {
        List<int[]> out =
                MODEL.generate(NONE, List.of(new int[] {1, 7}), GenerationConfig.greedy(12));
        Map<String, float[]> base = MODEL.effectiveWeights(NONE);
        int last = 7;
        for (int id : out.get(0)) {
            double[] l = logits(base, last);
            int arg = 0;
            for (int y = 1; y < l.length; y++) {
                arg = l[y] > l[arg] ? y : arg;
            }
            assertThat(id).isEqualTo(arg);
            last = id;
        }
        assertThat(out.get(0).length == 12 || out.get(0)[out.get(0).length - 1] == ToyTokenizer.EOS)
                .isTrue();
    }

    @Test
    void rejects_an_adapter_for_a_module_it_lacks() {
        LoraModule m = ToyTasks.modules(new ToyModelConfig(16, 8, 3, 1L), "toy", 1, 2, 3L).get(0);
        try (EncodedBatch b =
                MODEL.encode(
                        List.of(FewShotExample.tokenized(new int[] {3, 4}, new int[] {3, 4})))) {
            assertThatThrownBy(() -> MODEL.loss(m, b)).hasMessageContaining("'layers.2.proj'");
        }
    }

    @Test
    void backend_is_found_by_service_loader_and_loads_what_the_model_saved(@TempDir Path dir)
            throws Exception {
        ToyModel m = ToyModel.create(new ToyModelConfig(20, 6, 2, 99L));
        m.save(dir);
        assertThat(ServiceLoader.load(ModelBackend.class).stream().map(p -> p.type().getName()))
                .contains(ToyBackend.class.getName());
        assertThat(new ToyBackend().supports(dir.resolve("nothing-here"))).isFalse();
        try (BaseModel loaded = ModelBackends.load(dir);
                EncodedBatch b1 = m.encode(List.of(FewShotExample.of("abc", "de")));
                EncodedBatch b2 = loaded.encode(List.of(FewShotExample.of("abc", "de")))) {
            assertThat(loaded).isInstanceOf(ToyModel.class);
            assertThat(((ToyModel) loaded).config()).isEqualTo(m.config());
            assertThat(loaded.loss(NONE, b2)).isEqualTo(m.loss(NONE, b1));
        }
        // a backend that keeps float32 only says so instead of loading float32 silently
        assertThatThrownBy(() -> ModelBackends.load(dir, WeightDtype.F16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model backend 'lorahub-toy' keeps f32 weights only, asked for f16");
    }

    @Test
    void the_main_jar_registers_no_toy_backend_only_the_test_resources_do() throws Exception {
        // every registration of ModelBackend on this class path, and where it comes from
        var urls =
                java.util.Collections.list(
                        getClass()
                                .getClassLoader()
                                .getResources("META-INF/services/" + ModelBackend.class.getName()));
        assertThat(urls).isNotEmpty();
        for (var url : urls) {
            String text;
            try (var in = url.openStream()) {
                text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            boolean fromTests = url.toString().contains("/test-classes/")
                    || url.toString().contains("-tests.jar!");
            if (!fromTests) {
                assertThat(text).as("registered by %s", url).doesNotContain("testkit");
            }
        }
        // and ToyBackend's own class file comes from the main output, not the test resources
        assertThat(ToyBackend.class.getProtectionDomain().getCodeSource().getLocation().toString())
                .doesNotContain("test-classes");
    }
}
