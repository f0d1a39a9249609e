package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.LearnStep;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.TracePoint;
import dev.lorahub.io.HfCache;
import dev.lorahub.io.NotInCacheException;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code LoraHub.load(adapters).fewShot(...).run()} without {@code .on(model)} for an adapter from
 * the Hugging Face cache: its {@code base_model_name_or_path} is the hub id {@code
 * lorahub-test/tiny-llama}, resolved in the same cache (hf-cache fixture, written by
 * huggingface_hub). Truth: the base losses transformers recorded for both revisions in
 * hf-cache/results.json; the optimizer's start, w = 0, is the base model alone, and a run's loss
 * is the batch loss divided by the number of examples (one batch here).
 */
class HfCacheLoraHubTest {
    private static final double RTOL = 1e-5;

    @TempDir Path tmp;

    @Test
    void an_adapter_from_the_cache_finds_its_base_model_by_hub_id_at_main_and_at_a_revision()
            throws IOException {
        Path fixture = TestData.require("hf-cache");
        JsonNode verify =
                new ObjectMapper()
                        .readTree(fixture.resolve("results.json").toFile())
                        .get("verify")
                        .get("symlinks");
        HfCache cache = HfCache.at(fixture.resolve("hub"));
        Path adapter = cache.snapshot("lorahub-test/tiny-llama-adapter-0", null);
        List<FewShotExample> examples = examples();
        LearnStep step = LoraHub.load(List.of(adapter)).fewShot(examples).hfCache(cache).budget(3);

        LoraHubResult main = step.run();
        assertThat(main.weights()).containsOnlyKeys("lorahub-test/tiny-llama-adapter-0");
        assertThat(zeroWeightLoss(main) * examples.size())
                .isCloseTo(verify.get("loss_base_main").asDouble(), withinRelative());

        LoraHubResult dev = step.revision("dev").run();
        assertThat(zeroWeightLoss(dev) * examples.size())
                .isCloseTo(verify.get("loss_base_dev").asDouble(), withinRelative());
    }

    @Test
    void the_base_model_revision_peft_recorded_in_the_adapter_config_is_used() throws IOException {
        Path fixture = TestData.require("hf-cache");
        double devLoss =
                new ObjectMapper()
                        .readTree(fixture.resolve("results.json").toFile())
                        .at("/verify/symlinks/loss_base_dev")
                        .asDouble();
        HfCache cache = HfCache.at(fixture.resolve("hub"));
        Path snapshot = cache.snapshot("lorahub-test/tiny-llama-adapter-0", null);
        // the adapter as PEFT saves it for a model loaded with revision="dev"
        Path adapter = Files.createDirectories(tmp.resolve("adapter_dev"));
        Files.copy(snapshot.resolve("adapter_model.safetensors"), adapter.resolve("adapter_model.safetensors"));
        String config = Files.readString(snapshot.resolve("adapter_config.json"));
        assertThat(config).contains("\"revision\": null");
        Files.writeString(
                adapter.resolve("adapter_config.json"),
                config.replace("\"revision\": null", "\"revision\": \"dev\""));
        List<FewShotExample> examples = examples();
        LoraHubResult r =
                LoraHub.load(List.of(adapter)).fewShot(examples).hfCache(cache).budget(1).run();
        assertThat(zeroWeightLoss(r) * examples.size()).isCloseTo(devLoss, withinRelative());
    }

    @Test
    void a_base_model_missing_from_the_cache_fails_naming_the_id_and_nothing_is_downloaded()
            throws IOException {
        Path fixture = TestData.require("hf-cache");
        Path adapter =
                HfCache.at(fixture.resolve("hub")).snapshot("lorahub-test/tiny-llama-adapter-0", null);
        LearnStep step =
                LoraHub.load(List.of(adapter)).fewShot(examples()).hfCache(HfCache.at(tmp)).budget(1);
        assertThatThrownBy(step::run)
                .isInstanceOf(NotInCacheException.class)
                .hasMessageContaining("'lorahub-test/tiny-llama' at revision 'main'")
                .hasMessageContaining(tmp.resolve("models--lorahub-test--tiny-llama") + " (absent)")
                .hasMessageContaining("huggingface-cli download lorahub-test/tiny-llama");
    }

    private static org.assertj.core.data.Percentage withinRelative() {
        return org.assertj.core.data.Percentage.withPercentage(RTOL * 100);
    }

    private static double zeroWeightLoss(LoraHubResult r) {
        return r.trace().stream()
                .filter(p -> Arrays.stream(p.weights()).allMatch(w -> w == 0.0))
                .mapToDouble(TracePoint::loss)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no w = 0 point in " + r.trace()));
    }

    /** hf-tiny/llama/ref/inputs.json without its padding (the backend pads again). */
    private static List<FewShotExample> examples() throws IOException {
        HfTinyReference ref = new HfTinyReference("hf-tiny/llama");
        int[][] ids = HfTinyReference.ints(ref.inputs.get("input_ids"));
        int[][] mask = HfTinyReference.ints(ref.inputs.get("attention_mask"));
        int[][] labels = HfTinyReference.ints(ref.inputs.get("labels"));
        List<FewShotExample> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            int n = 0;
            while (n < mask[i].length && mask[i][n] == 1) {
                n++;
            }
            out.add(
                    FewShotExample.tokenized(
                            Arrays.copyOf(ids[i], n), Arrays.copyOf(labels[i], n)));
        }
        return out;
    }
}
