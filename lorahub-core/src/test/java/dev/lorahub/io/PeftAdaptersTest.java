package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal of a PEFT folder on load, and the guarantees of save. */
class PeftAdaptersTest {
    private static final String CONFIG =
            "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, \"target_modules\": [\"q\"]}";
    private static final String Q = "base_model.model.enc.q";

    @TempDir Path tmp;

    private static TensorData t(String name, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.25f - 1;
        }
        return TensorData.ofFloats(name, shape, v, DType.F32);
    }

    private Path folder(String config, TensorData... tensors) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "adapter");
        Files.writeString(dir.resolve("adapter_config.json"), config);
        SafetensorsWriter.write(
                dir.resolve("adapter_model.safetensors"), Map.of("format", "pt"), List.of(tensors));
        return dir;
    }

    private Path valid() throws IOException {
        return folder(CONFIG, t(Q + ".lora_A.weight", 2, 3), t(Q + ".lora_B.weight", 5, 2));
    }

    @Test
    void loads_a_minimal_valid_folder() throws IOException {
        LoraModule m = LoraModule.load(valid());
        assertThat(m.layers()).containsOnlyKeys("enc.q");
        assertThat(m.layer("enc.q").orElseThrow().scaling()).isEqualTo(2.0);
        assertThat(m.layer("enc.q").orElseThrow().outFeatures()).isEqualTo(5);
    }

    @Test
    void a_missing_folder_is_no_such_file() {
        assertThatThrownBy(() -> LoraModule.load(tmp.resolve("absent")))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("absent");
    }

    @Test
    void a_file_is_not_an_adapter_folder() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> LoraModule.load(file))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("not a folder");
    }

    @Test
    void reads_a_pickled_adapter_when_there_is_no_safetensors_file_and_refuses_a_broken_one()
            throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("pickled"));
        Files.writeString(dir.resolve("adapter_config.json"), CONFIG);
        Files.write(dir.resolve("adapter_model.bin"), new byte[] {(byte) 0x80, 2, 'c'});
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(dir.resolve("adapter_model.bin").toString())
                .hasMessageContaining("magic number: pickle truncated");
    }

    @Test
    void refuses_a_folder_without_weights_or_config() throws IOException {
        Path noWeights = Files.createDirectory(tmp.resolve("noWeights"));
        Files.writeString(noWeights.resolve("adapter_config.json"), CONFIG);
        assertThatThrownBy(() -> LoraModule.load(noWeights))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("no adapter_model.safetensors");
        Path noConfig = valid();
        Files.delete(noConfig.resolve("adapter_config.json"));
        assertThatThrownBy(() -> LoraModule.load(noConfig))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("no adapter_config.json");
    }

    @Test
    void refuses_an_invalid_config_naming_the_file() throws IOException {
        Path dir = valid();
        Files.writeString(dir.resolve("adapter_config.json"), "{\"r\": \"two\"}");
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(dir.resolve("adapter_config.json").toString())
                .hasMessageContaining("'r'");
    }

    @Test
    void refuses_dora_by_config_and_by_key() throws IOException {
        Path byConfig =
                folder(
                        CONFIG.replace("}", ", \"use_dora\": true}"),
                        t(Q + ".lora_A.weight", 2, 3),
                        t(Q + ".lora_B.weight", 5, 2));
        assertThatThrownBy(() -> LoraModule.load(byConfig))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("DoRA");
        Path byKey =
                folder(
                        CONFIG,
                        t(Q + ".lora_A.weight", 2, 3),
                        t(Q + ".lora_B.weight", 5, 2),
                        t(Q + ".lora_magnitude_vector", 5));
        assertThatThrownBy(() -> LoraModule.load(byKey))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(Q + ".lora_magnitude_vector")
                .hasMessageContaining("DoRA");
    }

    @Test
    void refuses_keys_it_cannot_represent_naming_key_and_shape() throws IOException {
        Map<String, String> cases =
                Map.of(
                        "base_model.model.embed_tokens.lora_embedding_A",
                        "embedding LoRA",
                        Q + ".lora_A.default.weight",
                        "adapter name",
                        "base_model.model.classifier.weight",
                        "modules_to_save",
                        Q + ".lora_B.bias",
                        "bias");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path dir =
                    folder(
                            CONFIG,
                            t(Q + ".lora_A.weight", 2, 3),
                            t(Q + ".lora_B.weight", 5, 2),
                            t(c.getKey(), 2, 4));
            assertThatThrownBy(() -> LoraModule.load(dir))
                    .as(c.getKey())
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageContaining("'" + c.getKey() + "' [2, 4]")
                    .hasMessageContaining(c.getValue());
        }
    }

    @Test
    void refuses_a_factor_without_its_partner() throws IOException {
        Path onlyA = folder(CONFIG, t(Q + ".lora_A.weight", 2, 3));
        assertThatThrownBy(() -> LoraModule.load(onlyA))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(
                        "'"
                                + Q
                                + ".lora_A.weight' [2, 3] has no partner '"
                                + Q
                                + ".lora_B.weight'");
        Path onlyB = folder(CONFIG, t(Q + ".lora_B.weight", 5, 2));
        assertThatThrownBy(() -> LoraModule.load(onlyB))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(
                        "'"
                                + Q
                                + ".lora_B.weight' [5, 2] has no partner '"
                                + Q
                                + ".lora_A.weight'");
    }

    @Test
    void refuses_a_rank_mismatch_between_a_and_b() throws IOException {
        Path dir = folder(CONFIG, t(Q + ".lora_A.weight", 2, 3), t(Q + ".lora_B.weight", 5, 4));
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("rank mismatch")
                .hasMessageContaining("[2, 3]")
                .hasMessageContaining("[5, 4]");
    }

    @Test
    void refuses_a_rank_other_than_the_configs_including_rank_pattern() throws IOException {
        Path dir = folder(CONFIG, t(Q + ".lora_A.weight", 3, 3), t(Q + ".lora_B.weight", 5, 3));
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(
                        "rank 3, but adapter_config.json gives module 'enc.q'" + " rank 2");
        Path patterned =
                folder(
                        CONFIG.replace("}", ", \"rank_pattern\": {\"q\": 3}}"),
                        t(Q + ".lora_A.weight", 3, 3),
                        t(Q + ".lora_B.weight", 5, 3));
        assertThat(LoraModule.load(patterned).layer("enc.q").orElseThrow().rank()).isEqualTo(3);
    }

    @Test
    void refuses_tensors_that_are_not_2d_or_not_float() throws IOException {
        Path threeD =
                folder(CONFIG, t(Q + ".lora_A.weight", 2, 3, 1), t(Q + ".lora_B.weight", 5, 2));
        assertThatThrownBy(() -> LoraModule.load(threeD))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("'" + Q + ".lora_A.weight' has shape [2, 3, 1]")
                .hasMessageContaining("2-D");
        Path dir = Files.createTempDirectory(tmp, "ints");
        Files.writeString(dir.resolve("adapter_config.json"), CONFIG);
        SafetensorsWriter.write(
                dir.resolve("adapter_model.safetensors"),
                Map.of(),
                List.of(
                        TensorData.ofRaw(
                                Q + ".lora_A.weight", DType.I32, new long[] {2, 3}, new byte[24]),
                        t(Q + ".lora_B.weight", 5, 2)));
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("I32")
                .hasMessageContaining("F32, F16, BF16 or F64");
    }

    @Test
    void refuses_a_weights_file_without_lora_tensors() throws IOException {
        Path dir = folder(CONFIG);
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("no lora_A / lora_B tensors");
    }

    @Test
    void save_refuses_the_folder_the_module_was_loaded_from_and_its_merges_too()
            throws IOException {
        Path src = valid();
        byte[] before = Files.readAllBytes(src.resolve("adapter_model.safetensors"));
        LoraModule m = LoraModule.load(src);
        assertThatThrownBy(() -> m.save(src))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inputs are never overwritten");
        LoraModule merged =
                dev.lorahub.Composer.of(dev.lorahub.MergeStrategy.LORAHUB)
                        .merge("merged", List.of(m, m.withName("again")), new double[] {0.5, 0.5});
        assertThatThrownBy(() -> merged.save(src.resolve("..").resolve(src.getFileName())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("an input adapter was loaded from")
                .hasMessageContaining("inputs are never overwritten");
        assertThat(Files.readAllBytes(src.resolve("adapter_model.safetensors"))).isEqualTo(before);
    }

    @Test
    void save_replaces_an_adapter_folder_but_not_one_holding_other_files() throws IOException {
        LoraModule m = LoraModule.load(valid());
        Path target = tmp.resolve("out");
        m.save(target);
        m.save(target);
        assertThat(LoraModule.load(target).layers()).containsOnlyKeys("enc.q");

        Path busy = Files.createDirectory(tmp.resolve("busy"));
        Files.writeString(busy.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> m.save(busy))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("notes.txt");
        try (Stream<Path> s = Files.list(busy)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
        }
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        assertThatThrownBy(() -> m.save(file)).isInstanceOf(FileAlreadyExistsException.class);
        List<String> left = new ArrayList<>();
        try (Stream<Path> s = Files.list(tmp)) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("."))
                    .forEach(left::add);
        }
        assertThat(left).as("temp folders left behind").isEmpty();
    }

    @Test
    void saved_files_carry_the_pt_format_metadata() throws IOException {
        Path out = tmp.resolve("meta");
        LoraModule.load(valid()).save(out);
        try (SafetensorsReader r =
                SafetensorsReader.open(out.resolve("adapter_model.safetensors"))) {
            assertThat(r.metadata()).containsExactly(Map.entry("format", "pt"));
        }
    }

    @Test
    void save_refuses_layers_the_config_would_load_with_another_rank_or_scaling()
            throws IOException {
        LoraModule loaded = LoraModule.load(valid());
        LoraLayer q = loaded.layer("enc.q").orElseThrow();
        // the config says r = 2, alpha = 4: scaling 2; a folder written from these would load
        // refused (rank 3) or with scaling 2 instead of 0.5
        LoraLayer rank3 = new LoraLayer("enc.q", 3, 3, 5, new float[9], new float[15], 2.0, false);
        LoraModule wrongRank = new LoraModule("r3", loaded.config(), List.of(rank3));
        LoraModule wrongScaling = new LoraModule("s", loaded.config(), List.of(q.withScaling(0.5)));
        LoraModule empty = new LoraModule("empty", loaded.config(), List.of());

        assertThatThrownBy(() -> wrongRank.save(tmp.resolve("r3")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'enc.q'")
                .hasMessageContaining("rank 3")
                .hasMessageContaining("rank 2");
        assertThatThrownBy(() -> wrongScaling.save(tmp.resolve("s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'enc.q'")
                .hasMessageContaining("scaling 0.5")
                .hasMessageContaining("scaling 2.0");
        assertThatThrownBy(() -> empty.save(tmp.resolve("empty")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no layers");
        assertThat(tmp.resolve("r3")).doesNotExist();
        assertThat(tmp.resolve("s")).doesNotExist();
        assertThat(tmp.resolve("empty")).doesNotExist();
    }
}
