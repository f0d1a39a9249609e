package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PEFT folders whose weights are pickled ({@code adapter_model.bin}, pickles fixtures) load as the
 * same modules as their safetensors originals: same config, same layers, factors bit-identical for
 * the float32 files; the module's hash is the pickle's and its stored types are the pickle's.
 */
class PeftPicklesTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "pickles/llama/adapter_0, hf-tiny/llama/adapters/adapter_0, F32",
        "pickles/t5/adapter_0, hf-tiny/t5/adapters/adapter_0, F32",
        "pickles/variants/llama_adapter_0_legacy_fp32, hf-tiny/llama/adapters/adapter_0, F32",
        "pickles/variants/llama_adapter_0_legacy_shared_storage, hf-tiny/llama/adapters/adapter_0, F32",
        "pickles/variants/llama_adapter_0_zip_shared_storage, hf-tiny/llama/adapters/adapter_0, F32",
        "pickles/variants/llama_adapter_0_zip_archive_prefix, hf-tiny/llama/adapters/adapter_0, F32",
        "pickles/variants/llama_adapter_0_zip_bf16, hf-tiny/llama/adapters/adapter_0, BF16",
        "pickles/variants/llama_adapter_0_legacy_fp16, hf-tiny/llama/adapters/adapter_0, F16",
    })
    void a_pickled_adapter_loads_as_its_safetensors_original(
            String pickled, String original, DType stored) throws IOException {
        LoraModule p = LoraModule.load(TestData.require(pickled));
        LoraModule s = LoraModule.load(TestData.require(original));
        assertThat(p.config().baseModelNameOrPath()).isEqualTo(s.config().baseModelNameOrPath());
        assertThat(p.layers().keySet()).containsExactlyInAnyOrderElementsOf(s.layers().keySet());
        for (LoraLayer a : p.layers().values()) {
            LoraLayer b = s.layer(a.modulePath()).orElseThrow();
            assertThat(a.rank()).isEqualTo(b.rank());
            assertThat(a.scaling()).isEqualTo(b.scaling());
            if (stored == DType.F32) {
                assertThat(a.loraA()).as(a.modulePath()).isEqualTo(b.loraA());
                assertThat(a.loraB()).as(a.modulePath()).isEqualTo(b.loraB());
            } else {
                assertThat(a.loraA()).as(a.modulePath()).hasSameSizeAs(b.loraA());
            }
            assertThat(p.storedDtypes(a.modulePath())).isEqualTo(new StoredDtypes(stored, stored));
        }
        Path bin = TestData.require(pickled).resolve("adapter_model.bin");
        assertThat(p.sha256().orElseThrow()).isEqualTo(FileHash.snapshot(bin).sha256());
    }
}
