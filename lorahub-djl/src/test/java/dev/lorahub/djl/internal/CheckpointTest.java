package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.io.DType;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir Path tmp;

    /**
     * Decodes every tensor of an all-F32 safetensors file straight from its bytes (u64 LE header
     * length, JSON header, little-endian data at {@code data_offsets}), without the reader under
     * test.
     */
    private static Map<String, float[]> decodeF32(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buf.getLong(0);
        JsonNode header =
                new ObjectMapper()
                        .readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        Map<String, float[]> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            assertThat(e.getValue().get("dtype").asText()).as(e.getKey()).isEqualTo("F32");
            long begin = 8L + headerLength + e.getValue().get("data_offsets").get(0).asLong();
            long end = 8L + headerLength + e.getValue().get("data_offsets").get(1).asLong();
            float[] v = new float[(int) ((end - begin) / 4)];
            for (int i = 0; i < v.length; i++) {
                v[i] = buf.getFloat((int) begin + 4 * i);
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    @Test
    void the_staging_buffers_are_freed_when_the_last_open_checkpoint_closes_without_a_gc()
            throws IOException {
        Path dir = TestData.require("hf-tiny/llama/model");
        java.lang.management.BufferPoolMXBean direct =
                java.lang.management.ManagementFactory.getPlatformMXBeans(
                                java.lang.management.BufferPoolMXBean.class)
                        .stream()
                        .filter(p -> p.getName().equals("direct"))
                        .findFirst()
                        .orElseThrow();
        long before = direct.getMemoryUsed();
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint first = Checkpoint.open(dir);
            Checkpoint second = Checkpoint.open(dir);
            first.load("lm_head.weight", m);
            long loading = direct.getMemoryUsed() - before;
            assertThat(loading)
                    .as("staging while loading")
                    .isGreaterThanOrEqualTo(Checkpoint.STAGING_BYTES);
            first.close();
            first.close(); // a second close counts once
            assertThat(direct.getMemoryUsed() - before)
                    .as("staging while the second checkpoint is open")
                    .isEqualTo(loading);
            assertThat(second.load("lm_head.weight", m).toFloatArray())
                    .containsExactly(
                            decodeF32(dir.resolve("model.safetensors")).get("lm_head.weight"));
            second.close();
            assertThat(direct.getMemoryUsed() - before)
                    .as("staging after the last close, no collection")
                    .isLessThan(Checkpoint.STAGING_BYTES);
        }
    }

    @Test
    void reads_the_hf_tiny_llama_weights_as_float32_ndarrays() throws IOException {
        Path dir = TestData.require("hf-tiny/llama/model");
        try (Checkpoint c = Checkpoint.open(dir);
                NDManager m = NDManager.newBaseManager()) {
            // 2 layers x 9 tensors + embed, norm, lm_head
            assertThat(c.names()).hasSize(21).contains("lm_head.weight");
            assertThat(c.shape("model.layers.0.self_attn.k_proj.weight")).containsExactly(32, 64);
            NDArray w = c.load("model.embed_tokens.weight", new long[] {256, 64}, m);
            assertThat(w.getShape().getShape()).containsExactly(256, 64);
            // independent truth: the file's bytes decoded here from the safetensors layout
            Map<String, float[]> raw = decodeF32(dir.resolve("model.safetensors"));
            assertThat(raw).hasSize(21);
            for (Map.Entry<String, float[]> e : raw.entrySet()) {
                assertThat(c.load(e.getKey(), m).toFloatArray())
                        .as(e.getKey())
                        .containsExactly(e.getValue());
                assertThat(c.readFloats(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
            }
            assertThatThrownBy(() -> c.load("lm_head.weight", new long[] {256, 32}, m))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("model.safetensors")
                    .hasMessageContaining("lm_head.weight")
                    .hasMessageContaining("[256, 64]")
                    .hasMessageContaining("[256, 32]");
            assertThatThrownBy(() -> c.shape("model.layers.9.mlp.up_proj.weight"))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("model.layers.9.mlp.up_proj.weight")
                    .hasMessageContaining("model.safetensors");
        }
    }

    @Test
    void reads_sharded_folders_and_converts_f16_and_bf16_in_java() throws IOException {
        // values exactly representable in both half formats
        float[] a = {1f, -2f, 0.5f, 3.25f};
        float[] b = {0.25f, -0.125f, 8f};
        SafetensorsWriter.write(
                tmp.resolve("model-00001-of-00002.safetensors"),
                Map.of(),
                List.of(TensorData.ofFloats("a", new long[] {2, 2}, a, DType.F16)));
        SafetensorsWriter.write(
                tmp.resolve("model-00002-of-00002.safetensors"),
                Map.of(),
                List.of(TensorData.ofFloats("b", new long[] {3}, b, DType.BF16)));
        Files.writeString(
                tmp.resolve(Checkpoint.INDEX),
                "{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                        + "\"b\":\"model-00002-of-00002.safetensors\"}}");
        try (Checkpoint c = Checkpoint.open(tmp);
                NDManager m = NDManager.newBaseManager()) {
            assertThat(c.names()).containsExactly("a", "b");
            assertThat(c.load("a", m).toFloatArray()).containsExactly(a);
            assertThat(c.load("b", m).toFloatArray()).containsExactly(b);
            assertThat(c.fileOf("b").getFileName().toString())
                    .isEqualTo("model-00002-of-00002.safetensors");
        }
    }

    @Test
    void rejects_missing_shards_and_truncated_files_naming_the_file() throws IOException {
        Files.writeString(
                tmp.resolve(Checkpoint.INDEX),
                "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> Checkpoint.open(tmp))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model-00001-of-00002.safetensors")
                .hasMessageContaining("'a'");
        Path one = Files.createDirectory(tmp.resolve("one"));
        SafetensorsWriter.write(
                one.resolve(Checkpoint.SINGLE),
                Map.of(),
                List.of(TensorData.ofFloats("w", new long[] {64}, new float[64], DType.F32)));
        byte[] full = Files.readAllBytes(one.resolve(Checkpoint.SINGLE));
        Files.write(one.resolve(Checkpoint.SINGLE), java.util.Arrays.copyOf(full, full.length - 9));
        assertThatThrownBy(() -> Checkpoint.open(one))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(Checkpoint.SINGLE);
        Path none = Files.createDirectory(tmp.resolve("none"));
        assertThatThrownBy(() -> Checkpoint.open(none))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors");
    }

    @Test
    void a_truncated_shard_is_named_once_in_the_message() throws IOException {
        Path src = TestData.require("hf-tiny/llama/model");
        Path dir = Files.createDirectory(tmp.resolve("cut"));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        byte[] full = Files.readAllBytes(src.resolve("model.safetensors"));
        Path shard = dir.resolve("model.safetensors");
        Files.write(shard, java.util.Arrays.copyOf(full, full.length - 100));
        assertThatThrownBy(() -> Checkpoint.open(dir).close())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(shard + ": ")
                .hasMessageContaining("truncated")
                .satisfies(
                        e ->
                                assertThat(
                                                e.getMessage()
                                                        .split(
                                                                java.util.regex.Pattern.quote(
                                                                        shard.toString()),
                                                                -1))
                                        .as(e.getMessage())
                                        .hasSize(2));
    }
}
