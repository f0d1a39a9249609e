package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AdapterConfigTest {
    private static final Path FILE = Path.of("adapter_config.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static AdapterConfig parse(String json) {
        return AdapterConfig.fromJson(json, FILE);
    }

    @Test
    void reads_every_modelled_field() {
        AdapterConfig c =
                parse(
                        """
                {"peft_type": "LORA", "task_type": "SEQ_2_SEQ_LM", "base_model_name_or_path": "t5",
                 "r": 16, "lora_alpha": 32.5, "lora_dropout": 0.1, "fan_in_fan_out": true,
                 "bias": "lora_only", "use_rslora": true, "target_modules": ["q", "v"],
                 "exclude_modules": "decoder\\\\..*", "modules_to_save": ["lm_head"],
                 "layers_to_transform": [0, 2], "layers_pattern": "block",
                 "rank_pattern": {"q": 8}, "alpha_pattern": {"v": 4}, "use_dora": false,
                 "lora_bias": false}""");
        assertThat(c.taskType()).contains("SEQ_2_SEQ_LM");
        assertThat(c.baseModelNameOrPath()).isEqualTo("t5");
        assertThat(c.r()).isEqualTo(16);
        assertThat(c.loraAlpha()).isEqualTo(32.5);
        assertThat(c.loraDropout()).isEqualTo(0.1);
        assertThat(c.fanInFanOut()).isTrue();
        assertThat(c.bias()).isEqualTo(LoraBias.LORA_ONLY);
        assertThat(c.useRslora()).isTrue();
        assertThat(c.targetModules()).containsExactly("q", "v");
        assertThat(c.excludeSelector().orElseThrow().kind()).isEqualTo(ModuleSelector.Kind.REGEX);
        assertThat(c.modulesToSave()).containsExactly("lm_head");
        assertThat(c.layersToTransform()).containsExactly(0, 2);
        assertThat(c.layersPattern()).containsExactly("block");
        assertThat(c.rankPattern()).containsExactly(Map.entry("q", 8));
        assertThat(c.alphaPattern()).containsExactly(Map.entry("v", 4.0));
        assertThat(c.extraJson()).isEmpty();
    }

    @Test
    void rank_and_alpha_patterns_take_the_first_matching_key_in_order() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("layers.0.self_attn.q_proj", 16);
        ranks.put("q_proj", 8);
        AdapterConfig c =
                AdapterConfig.builder()
                        .r(4)
                        .loraAlpha(8)
                        .rankPattern(ranks)
                        .alphaPattern(Map.of("self_attn\\.v_proj", 2.0))
                        .build();
        assertThat(c.rankFor("model.layers.0.self_attn.q_proj")).isEqualTo(16);
        assertThat(c.rankFor("model.layers.1.self_attn.q_proj")).isEqualTo(8);
        assertThat(c.rankFor("model.layers.1.self_attn.k_proj")).isEqualTo(4);
        // (.*\.)?(key)$ needs a dot boundary: "xq_proj" is not "q_proj"
        assertThat(c.rankFor("model.layers.1.self_attn.xq_proj")).isEqualTo(4);
        assertThat(c.alphaFor("model.layers.0.self_attn.v_proj")).isEqualTo(2.0);
        assertThat(c.scalingFor("model.layers.0.self_attn.v_proj")).isEqualTo(2.0 / 4);
        assertThat(c.scalingFor("model.layers.0.self_attn.q_proj")).isEqualTo(8.0 / 16);

        Map<String, Integer> reversed = new LinkedHashMap<>();
        reversed.put("q_proj", 8);
        reversed.put("layers.0.self_attn.q_proj", 16);
        AdapterConfig r = c.toBuilder().rankPattern(reversed).build();
        assertThat(r.rankFor("model.layers.0.self_attn.q_proj")).isEqualTo(8);
    }

    @Test
    void zero_and_negative_alphas_are_accepted_as_peft_does_and_scale_with_their_sign() {
        // PEFT never checks lora_alpha; a negative one flips the update, as -alpha / r says
        Path f = Path.of("neg.json");
        assertThat(AdapterConfig.fromJson("{\"r\": 4, \"lora_alpha\": -16}", f).scalingFor("q"))
                .isEqualTo(-4.0);
        assertThat(
                        AdapterConfig.fromJson(
                                        "{\"r\": 4, \"lora_alpha\": -16, \"use_rslora\": true}", f)
                                .scalingFor("q"))
                .isEqualTo(-8.0);
        assertThat(AdapterConfig.fromJson("{\"r\": 4, \"lora_alpha\": 0}", f).scalingFor("q"))
                .isZero();
    }

    @Test
    void rslora_scales_by_alpha_over_sqrt_r() {
        AdapterConfig c = AdapterConfig.builder().r(16).loraAlpha(32).useRslora(true).build();
        assertThat(c.scalingFor("any")).isCloseTo(8.0, within(1e-15));
        assertThat(c.toBuilder().useRslora(false).build().scalingFor("any")).isEqualTo(2.0);
    }

    @Test
    void target_modules_as_names_match_dot_bounded_suffixes() {
        AdapterConfig c = new AdapterConfig("t5", 4, 8, List.of("q", "v"));
        assertThat(c.targets("encoder.block.0.layer.0.SelfAttention.q")).isTrue();
        assertThat(c.targets("decoder.block.1.layer.1.EncDecAttention.v")).isTrue();
        assertThat(c.targets("q")).isTrue();
        assertThat(c.targets("encoder.block.0.layer.0.SelfAttention.k")).isFalse();
        assertThat(c.targets("encoder.block.0.layer.0.SelfAttention.qq")).isFalse();
    }

    @Test
    void target_modules_as_regex_must_match_the_whole_path_and_all_linear_matches_all() {
        AdapterConfig c = parse("{\"target_modules\": \".*decoder.*(q|v)\"}");
        assertThat(c.targetSelector().orElseThrow().kind()).isEqualTo(ModuleSelector.Kind.REGEX);
        assertThat(c.targetModules()).containsExactly(".*decoder.*(q|v)");
        assertThat(c.targets("decoder.block.0.layer.0.SelfAttention.q")).isTrue();
        assertThat(c.targets("encoder.block.0.layer.0.SelfAttention.q")).isFalse();
        assertThat(c.targets("decoder.block.0.layer.0.SelfAttention.qx")).isFalse();
        AdapterConfig all = parse("{\"target_modules\": \"all-linear\"}");
        assertThat(all.targetSelector().orElseThrow().kind())
                .isEqualTo(ModuleSelector.Kind.ALL_LINEAR);
        assertThat(all.targets("anything.at.all")).isTrue();
        assertThat(all.toJson()).contains("\"target_modules\": \"all-linear\"");
    }

    @Test
    void layers_to_transform_and_exclude_modules_filter_targets_as_peft_does() {
        AdapterConfig c =
                parse(
                        """
                {"target_modules": ["q_proj"], "layers_to_transform": 1,
                 "exclude_modules": ["mlp.q_proj"]}""");
        assertThat(c.targets("model.layers.1.self_attn.q_proj")).isTrue();
        assertThat(c.targets("model.layers.0.self_attn.q_proj")).isFalse();
        assertThat(c.targets("model.layers.1.mlp.q_proj")).isFalse();
        assertThat(c.toJson()).contains("\"layers_to_transform\": 1");
        AdapterConfig p =
                parse(
                        """
                {"target_modules": ["q"], "layers_to_transform": [0], "layers_pattern": ["block"]}
                """);
        assertThat(p.targets("encoder.block.0.layer.0.SelfAttention.q")).isTrue();
        assertThat(p.targets("encoder.block.1.layer.0.SelfAttention.q")).isFalse();
    }

    @Test
    void unknown_keys_are_kept_verbatim_and_written_back() throws Exception {
        String src =
                """
                {"r": 4, "lora_alpha": 8, "target_modules": ["q"], "inference_mode": true,
                 "my_tool": {"zeta": [1, 2.5, null], "alpha": "é"}, "loftq_config": {}}""";
        AdapterConfig c = parse(src);
        assertThat(c.extraJson()).containsOnlyKeys("inference_mode", "my_tool", "loftq_config");
        String out = c.toJson();
        assertThat(JSON.readTree(out).get("my_tool")).isEqualTo(JSON.readTree(src).get("my_tool"));
        // Python's json.dumps(sort_keys=True, ensure_ascii=True), nested objects included
        assertThat(out).contains("\"my_tool\": {\n    \"alpha\": \"\\u00e9\",\n    \"zeta\": [");
        assertThat(parse(out)).isEqualTo(c);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "[1, 2]",
                "{\"r\": \"four\"}",
                "{\"r\": 0}",
                "{\"r\": 2.5}",
                "{\"lora_alpha\": \"x\"}",
                "{\"target_modules\": 5}",
                "{\"target_modules\": [\"q\", 3]}",
                "{\"target_modules\": \"(unclosed\"}",
                "{\"bias\": \"some\"}",
                "{\"rank_pattern\": {\"q\": -1}}",
                "{\"rank_pattern\": {\"(\": 4}}",
                "{\"alpha_pattern\": []}",
                "{\"use_rslora\": \"yes\"}",
                "{\"layers_to_transform\": [-1]}",
                "{\"peft_type\": \"IA3\"}",
                "{\"r\": 4, \"r\": 8}",
                "{\"r\": 4"
            })
    void refuses_invalid_configs_naming_the_file(String json) {
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(FILE.toString() + ": ")
                .isInstanceOfSatisfying(
                        FileFormatException.class,
                        e -> {
                            assertThat(e.file()).isEqualTo(FILE);
                            assertThat(e.getMessage()).isEqualTo(FILE + ": " + e.problem());
                            assertThat(e.problem()).isNotBlank().doesNotContain(FILE.toString());
                        });
    }

    @Test
    void type_errors_name_the_key_and_value() {
        assertThatThrownBy(() -> parse("{\"r\": \"four\"}"))
                .hasMessage(
                        "adapter_config.json: key 'r' must be a positive integer, got \"four\"");
        assertThatThrownBy(() -> parse("{\"peft_type\": \"IA3\"}")).hasMessageContaining("IA3");
    }

    @Test
    void integral_alphas_are_written_as_integers_and_others_as_decimals() {
        assertThat(new AdapterConfig("b", 4, 8, List.of("q")).toJson())
                .contains("\"lora_alpha\": 8,");
        assertThat(new AdapterConfig("b", 4, 16.5, List.of("q")).toJson())
                .contains("\"lora_alpha\": 16.5,");
    }

    static LongStream seeds() {
        return LongStream.range(0, 50);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void random_configs_survive_a_json_round_trip(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        for (int i = rnd.nextInt(4); i > 0; i--) {
            ranks.put("layers." + rnd.nextInt(10) + ".q", 1 + rnd.nextInt(64));
            alphas.put(
                    "v" + rnd.nextInt(10), rnd.nextBoolean() ? rnd.nextInt(64) : rnd.nextDouble());
        }
        List<String> targets = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
            targets.add("m" + rnd.nextInt(100));
        }
        AdapterConfig c =
                AdapterConfig.builder()
                        .baseModelNameOrPath(rnd.nextBoolean() ? null : "model-" + rnd.nextInt())
                        .taskType(rnd.nextBoolean() ? "CAUSAL_LM" : null)
                        .r(1 + rnd.nextInt(128))
                        .loraAlpha(rnd.nextBoolean() ? rnd.nextInt(256) : rnd.nextDouble() * 100)
                        .loraDropout(rnd.nextDouble())
                        .fanInFanOut(rnd.nextBoolean())
                        .bias(LoraBias.values()[rnd.nextInt(3)])
                        .useRslora(rnd.nextBoolean())
                        .targetModules(
                                rnd.nextInt(4) == 0
                                        ? ModuleSelector.regex(".*m" + rnd.nextInt(9))
                                        : ModuleSelector.names(targets))
                        .modulesToSave(rnd.nextBoolean() ? null : List.of("lm_head"))
                        .layersToTransform(rnd.nextBoolean() ? null : List.of(rnd.nextInt(5)))
                        .rankPattern(ranks)
                        .alphaPattern(alphas)
                        .extraJson("inference_mode", rnd.nextBoolean() ? "true" : "false")
                        .build();
        AdapterConfig back = parse(c.toJson());
        assertThat(back).as("seed %d: %s", seed, c.toJson()).isEqualTo(c);
        assertThat(back.toJson()).as("seed %d", seed).isEqualTo(c.toJson());
    }

    @Test
    void refuses_a_folder_or_bytes_that_are_not_utf8_naming_the_file(@TempDir Path tmp)
            throws Exception {
        Path folder = Files.createDirectory(tmp.resolve("adapter_config.json"));
        assertThatThrownBy(() -> AdapterConfig.read(folder))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(folder + ": ")
                .hasMessageContaining("is a folder");

        // "base_model_name_or_path": "caf\xe9" in Latin-1: decoding must not invent U+FFFD
        byte[] head = "{\"base_model_name_or_path\": \"caf".getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = Arrays.copyOf(head, head.length + 3);
        bytes[head.length] = (byte) 0xE9;
        bytes[head.length + 1] = '"';
        bytes[head.length + 2] = '}';
        Path latin1 = Files.write(tmp.resolve("latin1.json"), bytes);
        assertThatThrownBy(() -> AdapterConfig.read(latin1))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(latin1 + ": ")
                .hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("byte " + head.length);
    }
}
