package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.io.DType;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.io.StoredDtypes;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Loads the hf-tiny PEFT adapters (written by PEFT 0.10.0) and saves them back. */
class LoraModuleFixturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void loads_every_fixture_adapter_with_its_config_shapes_and_scaling(String model)
            throws IOException {
        Path root = TestData.require("hf-tiny/" + model);
        for (int i = 0; i < 3; i++) {
            Path dir = root.resolve("adapters/adapter_" + i);
            LoraModule m = LoraModule.load(dir);
            assertThat(m.name()).isEqualTo("adapter_" + i);
            assertThat(m.config().r()).isEqualTo(4);
            assertThat(m.config().loraAlpha()).isEqualTo(8.0);
            assertThat(m.layers()).hasSize(model.equals("llama") ? 4 : 12);
            try (SafetensorsReader r =
                    SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
                for (LoraLayer l : m.layers().values()) {
                    assertThat(l.rank()).isEqualTo(4);
                    assertThat(l.scaling()).isEqualTo(2.0);
                    String key = "base_model.model." + l.modulePath();
                    assertThat(l.loraA()).containsExactly(r.readFloat32(key + ".lora_A.weight"));
                    assertThat(l.loraB()).containsExactly(r.readFloat32(key + ".lora_B.weight"));
                    assertThat(m.storedDtypes(l.modulePath())).isEqualTo(StoredDtypes.F32);
                }
            }
            assertThat(m.sha256()).contains(sha256(dir.resolve("adapter_model.safetensors")));
            assertThat(m.sourceFolders()).containsExactly(dir.toAbsolutePath().normalize());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void saves_fixture_adapters_back_byte_identical(String model) throws IOException {
        Path root = TestData.require("hf-tiny/" + model);
        for (String sub :
                new String[] {
                    "adapters/adapter_0",
                    "adapters/adapter_1",
                    "adapters/adapter_2",
                    "ref/merged/lorahub",
                    "ref/merged/awa_cat",
                    "ref/merged/awa_svd",
                    "ref/merged/awa_linear_absw"
                }) {
            Path dir = root.resolve(sub);
            Path out = tmp.resolve(model + "-" + sub.replace('/', '-'));
            LoraModule.load(dir).save(out);
            assertThat(Files.readAllBytes(out.resolve("adapter_model.safetensors")))
                    .as(sub)
                    .isEqualTo(Files.readAllBytes(dir.resolve("adapter_model.safetensors")));
            JsonNode written = JSON.readTree(out.resolve("adapter_config.json").toFile());
            JsonNode original = JSON.readTree(dir.resolve("adapter_config.json").toFile());
            assertThat(written).as(sub).isEqualTo(original);
            // PEFT writes json.dumps(indent=2, sort_keys=True): the text is identical too
            assertThat(Files.readString(out.resolve("adapter_config.json")))
                    .as(sub)
                    .isEqualTo(Files.readString(dir.resolve("adapter_config.json")));
            try (var s = Files.list(tmp)) {
                assertThat(s.map(p -> p.getFileName().toString()))
                        .as("no temp folders left beside the target")
                        .noneMatch(n -> n.startsWith("."));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void half_precision_adapters_are_written_back_in_their_own_dtype(String dtypeName)
            throws IOException {
        DType dtype = DType.valueOf(dtypeName);
        Path src = TestData.require("hf-tiny/llama").resolve("adapters/adapter_0");
        LoraModule f32 = LoraModule.load(src);
        java.util.Map<String, StoredDtypes> half = new java.util.LinkedHashMap<>();
        f32.layers().keySet().forEach(p -> half.put(p, new StoredDtypes(dtype, dtype)));
        Path first = tmp.resolve("half");
        f32.withStoredDtypes(half).save(first);

        LoraModule loaded = LoraModule.load(first);
        for (String p : loaded.layers().keySet()) {
            assertThat(loaded.storedDtypes(p)).isEqualTo(new StoredDtypes(dtype, dtype));
        }
        Path second = tmp.resolve("half-again");
        loaded.save(second);
        assertThat(Files.readAllBytes(second.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(first.resolve("adapter_model.safetensors")));
        try (SafetensorsReader r =
                SafetensorsReader.open(second.resolve("adapter_model.safetensors"))) {
            assertThat(r.tensors()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(dtype));
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
