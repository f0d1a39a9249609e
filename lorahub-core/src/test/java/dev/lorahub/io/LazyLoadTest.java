package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load path without eager hashing and without a second copy of the factors. */
class LazyLoadTest {
    private static final String CONFIG =
            "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, \"target_modules\": [\"q\"]}";
    private static final String A = "base_model.model.enc.q.lora_A.weight";
    private static final String B = "base_model.model.enc.q.lora_B.weight";

    @TempDir Path tmp;

    private static TensorData tensor(String name, DType type, long... shape) {
        int n = (int) (shape[0] * shape[1]);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(i + shape[0]) * 3;
        }
        return TensorData.ofFloats(name, shape, v, type);
    }

    private Path folder(TensorData a, TensorData b) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "adapter");
        Files.writeString(dir.resolve(PeftAdapters.CONFIG_FILE), CONFIG);
        SafetensorsWriter.write(
                dir.resolve(PeftAdapters.WEIGHTS_FILE), PeftAdapters.METADATA, List.of(a, b));
        return dir;
    }

    private Path valid() throws IOException {
        return folder(tensor(A, DType.F32, 2, 3), tensor(B, DType.BF16, 5, 2));
    }

    private static String reference(Path file) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void the_hash_is_the_weights_files_and_is_shared_with_renamed_copies() throws Exception {
        Path dir = valid();
        LoraModule m = LoraModule.load(dir);
        String expected = reference(dir.resolve(PeftAdapters.WEIGHTS_FILE));

        assertThat(m.withName("other").sha256()).contains(expected);
        assertThat(m.sha256()).contains(expected);
    }

    @Test
    void asking_for_the_hash_after_the_file_changed_is_refused_naming_the_file() throws Exception {
        Path dir = valid();
        Path weights = dir.resolve(PeftAdapters.WEIGHTS_FILE);
        LoraModule m = LoraModule.load(dir);
        FileTime then = Files.getLastModifiedTime(weights);
        SafetensorsWriter.write(
                weights,
                PeftAdapters.METADATA,
                List.of(tensor(A, DType.F32, 2, 3), tensor(B, DType.F32, 5, 2)));
        Files.setLastModifiedTime(weights, FileTime.fromMillis(then.toMillis() + 5_000));

        assertThatThrownBy(m::sha256)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(weights.toString())
                .hasMessageContaining("load it again");
    }

    @Test
    void a_hash_asked_for_before_the_change_stays_the_loaded_files() throws Exception {
        Path dir = valid();
        Path weights = dir.resolve(PeftAdapters.WEIGHTS_FILE);
        String before = reference(weights);
        LoraModule m = LoraModule.load(dir);
        m.sha256();
        Files.delete(weights);

        assertThat(m.sha256()).contains(before);
    }

    @Test
    void layer_read_decodes_what_the_reader_decodes_bit_for_bit() throws Exception {
        Path dir = valid();
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(PeftAdapters.WEIGHTS_FILE))) {
            LoraLayer l = PeftTensors.readLayer(r, "enc.q", A, B, 2.0, false);

            assertThat(l.rank()).isEqualTo(2);
            assertThat(l.inFeatures()).isEqualTo(3);
            assertThat(l.outFeatures()).isEqualTo(5);
            assertThat(l.scaling()).isEqualTo(2.0);
            assertThat(l.loraA()).containsExactly(r.readFloat32(A));
            assertThat(l.loraB()).containsExactly(r.readFloat32(B));
        }
    }

    @Test
    void layer_read_refuses_factors_that_do_not_pair_naming_both() throws Exception {
        Path dir = folder(tensor(A, DType.F32, 2, 3), tensor(B, DType.F32, 5, 3));
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(PeftAdapters.WEIGHTS_FILE))) {
            assertThatThrownBy(() -> PeftTensors.readLayer(r, "enc.q", A, B, 1.0, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + A + "' is [2, 3]")
                    .hasMessageContaining("'" + B + "' is [5, 3]");
            assertThatThrownBy(() -> PeftTensors.readLayer(r, "enc.q", A, "absent", 1.0, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no tensor 'absent'");
        }
    }
}
