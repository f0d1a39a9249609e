package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.ModuleSelector;
import dev.lorahub.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    private static Path adapter(int i) {
        return TestData.require("hf-tiny/llama/adapters/adapter_" + i);
    }

    @Test
    void json_output_matches_the_adapter_config_and_file() throws Exception {
        Path dir = adapter(1);
        CliRun run = CliRun.of("inspect", dir.toString(), "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).isEmpty();

        ObjectMapper json = new ObjectMapper();
        JsonNode report = json.readTree(run.out());
        JsonNode config = json.readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(report.get("base_model_name_or_path").asText())
                .isEqualTo(config.get("base_model_name_or_path").asText())
                .isEqualTo("hf-tiny/llama");
        assertThat(report.get("r").asInt()).isEqualTo(config.get("r").asInt()).isEqualTo(4);
        assertThat(report.get("lora_alpha").asDouble())
                .isEqualTo(config.get("lora_alpha").asDouble());
        assertThat(report.get("rank").asInt()).isEqualTo(4);
        // scaling = lora_alpha / r = 8 / 4 (fixture README)
        assertThat(report.get("scaling").asDouble()).isEqualTo(2.0);
        assertThat(json.convertValue(report.get("target_modules"), List.class))
                .isEqualTo(json.convertValue(config.get("target_modules"), List.class));
        // 2 layers x {q_proj, v_proj}: A [4, 64] each, B [64, 4] for q and [32, 4] for v (GQA)
        assertThat(report.get("layers").size()).isEqualTo(4);
        assertThat(report.get("tensor_count").asInt()).isEqualTo(8);
        assertThat(report.get("dtypes").get("F32").asInt()).isEqualTo(8);
        assertThat(report.get("dtypes").size()).isEqualTo(1);
        assertThat(report.get("parameters").asLong()).isEqualTo(2L * (256 + 256 + 256 + 128));
        Path weights = dir.resolve("adapter_model.safetensors");
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(weights));
        assertThat(report.get("sha256").asText()).isEqualTo(HexFormat.of().formatHex(digest));
        assertThat(report.get("file_bytes").asLong()).isEqualTo(Files.size(weights));
        assertThat(report.get("format").asText()).isEqualTo("safetensors");
    }

    @Test
    void a_pickled_adapter_is_inspected_saying_which_pickle_format_was_read() throws Exception {
        for (String[] c :
                new String[][] {
                    {"pickles/llama/adapter_0", "pytorch_zip", "PyTorch pickle (zip, torch >= 1.6)"},
                    {
                        "pickles/variants/llama_adapter_0_legacy_fp16",
                        "pytorch_legacy",
                        "PyTorch pickle (legacy, torch < 1.6)"
                    }
                }) {
            Path dir = TestData.require(c[0]);
            CliRun run = CliRun.of("inspect", dir.toString(), "--json");
            assertThat(run.exitCode()).as(run.toString()).isZero();
            JsonNode report = new ObjectMapper().readTree(run.out());
            assertThat(report.get("format").asText()).isEqualTo(c[1]);
            assertThat(report.get("file").asText()).endsWith("adapter_model.bin");
            assertThat(report.get("tensor_count").asInt()).isEqualTo(8);
            assertThat(report.get("parameters").asLong()).isEqualTo(2L * (256 + 256 + 256 + 128));
            CliRun text = CliRun.of("inspect", dir.toString());
            assertThat(text.exitCode()).as(text.toString()).isZero();
            assertThat(text.out()).contains("format:     " + c[2]);
        }
    }

    @Test
    void a_hostile_pickle_is_refused_in_one_line_naming_the_file_and_the_global() {
        Path dir = TestData.require("pickles/hostile/os_system_reduce");
        CliRun run = CliRun.of("inspect", dir.toString());
        assertThat(run.exitCode()).as(run.toString()).isNotZero();
        assertThat(run.err().strip())
                .doesNotContain("\n")
                .contains(dir.resolve("adapter_model.bin").toString())
                .contains("forbidden global 'posix.system'");
    }

    @Test
    void text_output_names_every_field() {
        CliRun run = CliRun.of("inspect", adapter(0).toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
                .contains("base model: hf-tiny/llama")
                .contains("rank:       4")
                .contains("alpha:      8")
                .contains("scaling:    2  (alpha / r)")
                .contains("targets:    v_proj, q_proj") // the config's order
                .contains("tensors:    8")
                .contains("dtypes:     F32 x8")
                .contains("parameters: 1,792")
                .contains("sha256:");
    }

    @Test
    void a_merged_adapter_with_a_different_rank_is_reported_as_is() {
        Path cat = TestData.require("hf-tiny/llama/ref/merged/awa_cat");
        CliRun run = CliRun.of("inspect", cat.toString(), "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("\"rank\" : 12", "\"scaling\" : 1.0");
    }

    @Test
    void a_rank_pattern_is_shown_per_module(@TempDir Path tmp) throws Exception {
        // GIVEN an adapter whose rank_pattern/alpha_pattern give v a rank of 2 and alpha 6
        AdapterConfig config =
                AdapterConfig.builder()
                        .baseModelNameOrPath("toy")
                        .r(4)
                        .loraAlpha(8)
                        .targetModules(ModuleSelector.names(List.of("q", "v")))
                        .rankPattern(Map.of("v", 2))
                        .alphaPattern(Map.of("v", 6.0))
                        .build();
        LoraLayer q = layer("blocks.0.q", 4, 2.0);
        LoraLayer v = layer("blocks.0.v", 2, 3.0);
        Path dir = tmp.resolve("patterned");
        new LoraModule("patterned", config, List.of(q, v)).save(dir);

        // WHEN inspected
        CliRun text = CliRun.of("inspect", dir.toString());
        CliRun json = CliRun.of("inspect", dir.toString(), "--json");

        // THEN the per-module ranks and scalings (alpha / r: 8/4 and 6/2) are listed
        assertThat(text.exitCode()).as(text.toString()).isZero();
        assertThat(text.out())
                .contains("rank:       per module (below)")
                .contains("scaling:    per module (below)")
                .containsPattern("blocks\\.0\\.q +r=4 +scaling=2")
                .containsPattern("blocks\\.0\\.v +r=2 +scaling=3");
        JsonNode report = new ObjectMapper().readTree(json.out());
        assertThat(report.get("rank").isNull()).isTrue();
        assertThat(report.get("scaling").isNull()).isTrue();
        assertThat(report.get("rank_pattern").get("v").asInt()).isEqualTo(2);
        assertThat(report.get("layers").get(1).get("rank").asInt()).isEqualTo(2);
        assertThat(report.get("layers").get(1).get("scaling").asDouble()).isEqualTo(3.0);
        // q: A [4, 8] + B [8, 4]; v: A [2, 8] + B [8, 2]
        assertThat(report.get("parameters").asLong()).isEqualTo(64 + 32);
    }

    private static LoraLayer layer(String path, int rank, double scaling) {
        float[] a = new float[rank * 8];
        float[] b = new float[8 * rank];
        java.util.Arrays.fill(a, 0.25f);
        java.util.Arrays.fill(b, -0.5f);
        return new LoraLayer(path, rank, 8, 8, a, b, scaling, false);
    }

    @Test
    void a_missing_folder_exits_non_zero_with_one_line_naming_it(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-such-adapter");
        CliRun run = CliRun.of("inspect", missing.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.errLines().get(0))
                .startsWith("lorahub inspect: ")
                .contains(missing.toString());
        assertThat(run.out()).isEmpty();
    }

    @Test
    void a_truncated_weights_file_exits_non_zero_with_one_line_naming_it(@TempDir Path tmp)
            throws Exception {
        Path copy = CommandFixtures.copyAdapter(adapter(0), tmp.resolve("cut"));
        Path weights = copy.resolve("adapter_model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        CliRun run = CliRun.of("inspect", copy.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.errLines().get(0)).contains(weights.toString());
        assertThat(run.err()).doesNotContain("\tat ");
    }

    @Test
    void a_garbled_config_exits_non_zero_with_one_line_naming_it(@TempDir Path tmp)
            throws Exception {
        Path copy = CommandFixtures.copyAdapter(adapter(0), tmp.resolve("bad-json"));
        Path config = copy.resolve("adapter_config.json");
        Files.writeString(config, "{\"r\": 4, \"lora_alpha\": ");
        CliRun run = CliRun.of("inspect", copy.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.errLines().get(0)).contains(config.toString());
    }
}
