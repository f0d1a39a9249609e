package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.LoraModule;
import dev.lorahub.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every checkpoint of {@code pickles/hostile} (see its README: written by torch 1.13.1, refused by
 * {@code torch.load(weights_only=True)} or reading past a record) is refused by {@link
 * LoraModule#load} with an {@link AdapterFormatException} that names the file and the forbidden
 * global, opcode or record, and no payload runs: the marker files the payloads would create stay
 * absent.
 */
class PytorchHostileTest {
    private static final List<Path> MARKERS =
            List.of(
                    Path.of("/tmp/PWNED_lorahub"),
                    Path.of("/tmp/PWNED_lorahub_eval"),
                    Path.of("/tmp/PWNED_lorahub_torchsave"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "os_system_reduce | forbidden global 'posix.system': module posix is blocked",
                "builtins_eval | forbidden global 'builtins.eval': not on torch.load(weights_only=True)'s allowlist",
                "torch_function_global | forbidden global 'torch.serialization.save'",
                "torch_module_object | forbidden global 'torch.nn.modules.linear.Linear'",
                "truncated_zip | zip end-of-central-directory record not found",
                "missing_storage_record | refers to storage '3' (torch.FloatStorage) but the archive has no record 'adapter_model/data/3'",
                "size_stride_out_of_bounds | size [64, 64], stride [64, 1] at storage offset 0 needs 4096 elements of F32 but its storage '0' holds 256",
                "storage_numel_exceeds_record | record 'adapter_model/data/0' holds 1024 bytes but data.pkl declares 4096 elements of F32",
            })
    void hostile_checkpoints_are_refused_naming_the_file_and_what_is_forbidden(
            String folder, String reason) {
        Path dir = TestData.require("pickles/hostile/" + folder);
        Path bin = dir.resolve("adapter_model.bin");
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(bin + ": ")
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(((AdapterFormatException) e).file()).isEqualTo(bin));
        assertThatThrownBy(() -> PytorchReader.open(bin))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(reason);
        assertNoMarker();
    }

    @AfterAll
    static void no_payload_ever_ran() {
        assertNoMarker();
    }

    private static void assertNoMarker() {
        for (Path m : MARKERS) {
            assertThat(Files.exists(m)).as("marker " + m + " (a payload ran)").isFalse();
        }
    }
}
