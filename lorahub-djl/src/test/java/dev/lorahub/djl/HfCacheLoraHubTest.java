package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.LearnStep;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.Provenance;
import dev.lorahub.TracePoint;
import dev.lorahub.io.HfCache;
import dev.lorahub.io.NotInCacheException;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
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
 * hf-cache/results.json; the optimizer's start, w = 0, is the base model alone, and a run's loss is
 * the batch loss divided by the number of examples (one batch here).
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
        Files.copy(
                snapshot.resolve("adapter_model.safetensors"),
                adapter.resolve("adapter_model.safetensors"));
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
                HfCache.at(fixture.resolve("hub"))
                        .snapshot("lorahub-test/tiny-llama-adapter-0", null);
        LearnStep step =
                LoraHub.load(List.of(adapter))
                        .fewShot(examples())
                        .hfCache(HfCache.at(tmp))
                        .budget(1);
        assertThatThrownBy(step::run)
                .isInstanceOf(NotInCacheException.class)
                .hasMessageContaining("'lorahub-test/tiny-llama' at revision 'main'")
                .hasMessageContaining(tmp.resolve("models--lorahub-test--tiny-llama") + " (absent)")
                .hasMessageContaining("huggingface-cli download lorahub-test/tiny-llama");
    }

    // sha256sum of the fixture files, computed with coreutils on 2026-12-07 (the cache's blobs
    // are the same bytes as hf-tiny/llama/model's config and generation config)
    private static final String CONFIG_SHA =
            "da53bd7677597466b69befd21eebaa48825cef3e221cb6427db5001f654afa41";
    private static final String GENERATION_SHA =
            "741acba7f5e235dac0e6865ecc212bbadb1ab1d6d853de7d759268cb62aaf2b4";
    private static final String MAIN_WEIGHTS_SHA =
            "9aa56620ee272794bc4d6c02f32ec7d0403bbf4437c04ba8e7b043c96ce18908";
    private static final String DEV_WEIGHTS_SHA =
            "476527a77860b25aec077200d042e8435d949a5daf45ffa8d99392a29770b819";
    private static final String DEV_COMMIT = "67fb811a2c9f18a7200cecf75abb4cc75e9944f7";
    private static final String MAIN_COMMIT = "b241b359fec6491b910e85968a3adf2ed9053789";

    @Test
    void provenance_records_a_local_model_s_path_and_the_sha256_of_its_files() throws IOException {
        Path folder = TestData.require("hf-tiny/llama/model");
        Path abs = folder.toAbsolutePath().normalize();
        try (BaseModel model = ModelBackends.load(folder)) {
            LoraHubResult r =
                    LoraHub.load(List.of(TestData.require("hf-tiny/llama/adapters/adapter_0")))
                            .fewShot(examples())
                            .on(model)
                            .budget(1)
                            .run();
            Provenance p = r.provenance();
            assertThat(p.baseModel()).isEqualTo(abs.toString());
            assertThat(p.baseModelSource())
                    .isEqualTo(
                            new Provenance.BaseModelSource(
                                    abs.toString(),
                                    null,
                                    null,
                                    List.of(
                                            new Provenance.FileRef("config.json", CONFIG_SHA),
                                            new Provenance.FileRef(
                                                    "generation_config.json", GENERATION_SHA),
                                            new Provenance.FileRef(
                                                    "model.safetensors", MAIN_WEIGHTS_SHA))));
            r.save(tmp.resolve("out"));
            String written = Files.readString(tmp.resolve("out/provenance.json"));
            assertThat(written).contains(MAIN_WEIGHTS_SHA, "\"path\" : \"" + abs + "\"");
            assertThat(Provenance.fromJson(written).baseModelSource())
                    .isEqualTo(p.baseModelSource());
        }
    }

    @Test
    void provenance_records_the_hub_id_and_commit_of_a_cache_snapshot_given_with_on()
            throws IOException {
        HfCache cache = HfCache.at(TestData.require("hf-cache").resolve("hub"));
        Path snapshot = cache.snapshot("lorahub-test/tiny-llama", "dev");
        try (BaseModel model = ModelBackends.load(snapshot)) {
            Provenance p =
                    LoraHub.load(List.of(TestData.require("hf-tiny/llama/adapters/adapter_0")))
                            .fewShot(examples())
                            .on(model)
                            .budget(1)
                            .run()
                            .provenance();
            assertThat(p.baseModel()).isEqualTo("lorahub-test/tiny-llama");
            Provenance.BaseModelSource s = p.baseModelSource();
            assertThat(s.hubId()).isEqualTo("lorahub-test/tiny-llama");
            assertThat(s.revision()).isEqualTo(DEV_COMMIT);
            assertThat(s.path()).isEqualTo(snapshot.toAbsolutePath().normalize().toString());
            // README.md and .gitattributes of the snapshot are not model files
            assertThat(s.files())
                    .containsExactly(
                            new Provenance.FileRef("config.json", CONFIG_SHA),
                            new Provenance.FileRef("generation_config.json", GENERATION_SHA),
                            new Provenance.FileRef("model.safetensors", DEV_WEIGHTS_SHA));
        }
    }

    @Test
    void a_run_that_resolves_its_base_model_by_hub_id_records_the_commit_it_used()
            throws IOException {
        HfCache cache = HfCache.at(TestData.require("hf-cache").resolve("hub"));
        Path adapter = cache.snapshot("lorahub-test/tiny-llama-adapter-0", null);
        Provenance p =
                LoraHub.load(List.of(adapter))
                        .fewShot(examples())
                        .hfCache(cache)
                        .budget(1)
                        .run()
                        .provenance();
        assertThat(p.baseModel()).isEqualTo("lorahub-test/tiny-llama");
        assertThat(p.baseModelSource().revision()).isEqualTo(MAIN_COMMIT);
        assertThat(p.baseModelSource().files())
                .extracting(Provenance.FileRef::sha256)
                .containsExactly(CONFIG_SHA, GENERATION_SHA, MAIN_WEIGHTS_SHA);
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
