package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.io.gguf.GgufFile;
import dev.lorahub.io.gguf.GgufTensor;
import dev.lorahub.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code merge --format gguf} output against what llama.cpp's own GGUF reader made of it: {@code
 * gguf-written/*.json} is gguf-py's {@code GGUFReader} view of the files these merges wrote on
 * 2026-12-07, with the rules of llama.cpp's adapter loader checked on it ({@code check_adapter.py};
 * all passed). The merges are run again here and must give what gguf-py read: the same metadata
 * keys, value types and values, the same tensors, types, {@code ne}, offsets and bytes, and the
 * same file to the byte. A change to the GGUF writer fails this test until the files are checked
 * with gguf-py again (see gguf-written/README.md).
 */
class GgufAdapterGgufPyTest {
    @TempDir Path tmp;

    @Test
    void a_merged_peft_twin_is_the_file_gguf_py_read_and_found_equal_to_ggmls_adapter() throws Exception {
        Path out = tmp.resolve("twin.gguf");
        CliRun run = CliRun.of("merge", "--strategy", "lorahub", "--weights", "1", "--format", "gguf",
                "--head-dim", "64", "--out", out.toString(),
                TestData.require("gguf-quants/lora/peft").toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertIsWhatGgufPyRead(out, "gguf-written/twin.json");
    }

    @Test
    void a_lorahub_composition_of_three_adapters_is_the_file_gguf_py_read() throws Exception {
        Path root = TestData.require("hf-tiny/llama/adapters");
        Path out = tmp.resolve("composed.gguf");
        CliRun run = CliRun.of("merge", "--strategy", "lorahub", "--weights", "0.5,-0.3,1.2",
                "--format", "gguf", "--model", TestData.require("hf-tiny/llama/model").toString(),
                "--out", out.toString(), root.resolve("adapter_0").toString(),
                root.resolve("adapter_1").toString(), root.resolve("adapter_2").toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertIsWhatGgufPyRead(out, "gguf-written/composed.json");
    }

    private static void assertIsWhatGgufPyRead(Path file, String json) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(TestData.require(json).toFile());
        for (JsonNode c : ref.get("checks")) {
            assertThat(c.get("ok").asBoolean()).as(json + ": " + c.get("rule").asText()).isTrue();
        }
        GgufFile g = GgufFile.open(file);
        assertThat(g.version()).isEqualTo(ref.get("version").asInt());
        assertThat(g.alignment()).isEqualTo(ref.get("alignment").asLong());
        assertThat(g.dataOffset()).isEqualTo(ref.get("data_offset").asLong());

        List<String> keys = new ArrayList<>();
        for (JsonNode kv : ref.get("kv")) {
            String key = kv.get("key").asText();
            keys.add(key);
            assertThat(g.valueType(key).map(Enum::name)).as(key).hasValue(kv.get("types").get(0).asText());
            Object v = g.metadata().get(key);
            JsonNode want = kv.get("value");
            if (want.isTextual()) {
                assertThat(v).as(key).isEqualTo(want.asText());
            } else {
                assertThat(((Number) v).doubleValue()).as(key).isEqualTo(want.asDouble());
            }
        }
        assertThat(List.copyOf(g.metadata().keySet())).isEqualTo(keys);

        List<String> names = new ArrayList<>();
        for (JsonNode t : ref.get("tensors")) {
            String name = t.get("name").asText();
            names.add(name);
            GgufTensor ours = g.tensor(name).orElseThrow(() -> new AssertionError("no tensor " + name));
            assertThat(ours.type().name()).as(name).isEqualTo(t.get("type").asText());
            long[] ne = new long[t.get("ne").size()];
            for (int i = 0; i < ne.length; i++) {
                ne[i] = t.get("ne").get(i).asLong();
            }
            assertThat(ours.ne()).as(name).isEqualTo(ne);
            assertThat(ours.absoluteOffset()).as(name).isEqualTo(t.get("data_offset").asLong());
            assertThat(ours.byteLength()).as(name).isEqualTo(t.get("n_bytes").asLong());
            assertThat(sha256(g.rawBytes(name))).as(name).isEqualTo(t.get("sha256").asText());
        }
        assertThat(List.copyOf(g.tensors().keySet())).isEqualTo(names);
        assertThat(sha256(ByteBuffer.wrap(Files.readAllBytes(file))))
                .as(file + " is the file gguf-py read")
                .isEqualTo(ref.get("sha256").asText());
    }

    private static String sha256(ByteBuffer b) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b.duplicate());
        return HexFormat.of().formatHex(md.digest());
    }
}
