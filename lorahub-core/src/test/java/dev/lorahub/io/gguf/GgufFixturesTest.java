package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Files written by ggml itself (gguf-quants fixture, ggml d99724f): every tensor converts to the
 * float32 values ggml's own {@code to_float} gave, compared as SHA-256 of their little-endian bits
 * (so -0.0 and 0.0 differ): no tolerance. The {@code .subset.gguf} files hold three tensors of the
 * original file with their ggml-written bytes unchanged (see the fixture README).
 */
class GgufFixturesTest {
    @TempDir Path tmp;

    static Stream<Arguments> files() {
        return Stream.of(
                Arguments.of("F32", "models/tiny-llama-F32.gguf"),
                Arguments.of("Q2_K", "models/tiny-llama-Q2_K.gguf"),
                Arguments.of("Q4_K", "models/tiny-llama-Q4_K.gguf"),
                Arguments.of("Q6_K", "models/tiny-llama-Q6_K.gguf"),
                Arguments.of("F16", "models/tiny-llama-F16.subset.gguf"),
                Arguments.of("Q4_0", "models/tiny-llama-Q4_0.subset.gguf"),
                Arguments.of("Q4_1", "models/tiny-llama-Q4_1.subset.gguf"),
                Arguments.of("Q5_0", "models/tiny-llama-Q5_0.subset.gguf"),
                Arguments.of("Q8_0", "models/tiny-llama-Q8_0.subset.gguf"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void every_tensor_converts_to_exactly_ggmls_float32_values(String variant, String path)
            throws IOException {
        GgufFile g = GgufFile.open(GgufManifest.path(path));
        assertThat(g.tensors()).isNotEmpty();
        for (GgufTensor t : g.tensors().values()) {
            JsonNode expected = GgufManifest.tensor(variant, t.name());
            assertThat(t.type().name()).as(t.name()).isEqualTo(expected.get("ggml_type").asText());
            JsonNode shape = expected.get("shape_row_major");
            long[] expectedShape = new long[shape.size()];
            for (int i = 0; i < expectedShape.length; i++) {
                expectedShape[i] = shape.get(i).asLong();
            }
            assertThat(t.shape()).as(t.name()).containsExactly(expectedShape);
            assertThat(GgufManifest.sha256(GgufManifest.bytes(g.rawBytes(t.name()))))
                    .as(variant + " " + t.name() + " stored bytes")
                    .isEqualTo(expected.get("sha256_raw").asText());
            float[] values = g.readFloats(t.name());
            assertThat(GgufManifest.sha256(GgufManifest.f32le(values)))
                    .as(variant + " " + t.name() + " dequantized")
                    .isEqualTo(expected.get("sha256_dequant_f32le").asText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void the_first_sixteen_values_have_ggmls_bits_negative_zeros_included(
            String variant, String path) throws IOException {
        GgufFile g = GgufFile.open(GgufManifest.path(path));
        JsonNode samples = GgufManifest.file(variant).get("samples");
        int checked = 0;
        for (var it = samples.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (g.tensor(e.getKey()).isEmpty()) {
                continue;
            }
            float[] v = g.readFloats(e.getKey());
            JsonNode hex = e.getValue().get("first16_hex");
            for (int i = 0; i < hex.size(); i++) {
                int bits = Integer.parseUnsignedInt(hex.get(i).asText().substring(2), 16);
                assertThat(Float.floatToRawIntBits(v[i]))
                        .as("%s %s[%d] = %s", variant, e.getKey(), i, v[i])
                        .isEqualTo(bits);
            }
            checked++;
        }
        assertThat(checked).as("sampled tensors present").isGreaterThanOrEqualTo(2);
    }

    @Test
    void full_files_are_ggmls_bytes_and_have_ggmls_header_layout() throws IOException {
        for (String variant : List.of("F32", "Q2_K", "Q4_K", "Q6_K")) {
            JsonNode f = GgufManifest.file(variant);
            Path path = GgufManifest.path(f.get("file").asText());
            // the file is ggml's, byte for byte (the F32 one joined from its two parts)
            assertThat(GgufManifest.sha256(java.nio.file.Files.readAllBytes(path)))
                    .as(variant)
                    .isEqualTo(f.get("sha256").asText());
            GgufFile g = GgufFile.open(path);
            assertThat(g.version()).isEqualTo(f.get("gguf_version").asInt());
            assertThat(g.alignment()).isEqualTo(f.get("alignment").asLong());
            assertThat(g.dataOffset()).as(variant).isEqualTo(f.get("data_offset").asLong());
            assertThat(g.metadata()).hasSize(f.get("n_kv").asInt());
            assertThat(g.tensors()).hasSize(f.get("n_tensors").asInt());
            assertThat(g.metadata().get("general.file_type"))
                    .isEqualTo(f.get("general.file_type").asLong());
            for (JsonNode t : f.get("tensors")) {
                GgufTensor mine = g.tensor(t.get("name").asText()).orElseThrow();
                assertThat(mine.absoluteOffset()).isEqualTo(t.get("abs_offset").asLong());
                assertThat(mine.byteLength()).isEqualTo(t.get("nbytes").asLong());
            }
        }
    }

    /**
     * A mixed file, as llama.cpp's Q4_K_M is (Q6_K for attn_v and ffn_down, Q4_K elsewhere, F32
     * norms): written by {@link GgufWriter} from the ggml-written blocks of three files; every
     * tensor converts by its own type to ggml's values.
     */
    @Test
    void a_mixed_file_converts_each_tensor_by_its_own_type() throws IOException {
        Map<String, GgufFile> sources = new LinkedHashMap<>();
        for (String v : List.of("Q4_K", "Q6_K", "Q2_K")) {
            sources.put(v, GgufFile.open(GgufManifest.path(GgufManifest.file(v).get("file").asText())));
        }
        GgufFile q4 = sources.get("Q4_K");
        GgufWriter w = new GgufWriter();
        for (String key : q4.metadata().keySet()) {
            copyKv(q4, key, w);
        }
        Map<String, String> variantOf = new LinkedHashMap<>();
        for (GgufTensor t : q4.tensors().values()) {
            String v =
                    t.name().contains("attn_v") || t.name().contains("ffn_down")
                            ? "Q6_K"
                            : t.name().equals("output.weight") ? "Q2_K" : "Q4_K";
            GgufTensor src = sources.get(v).tensor(t.name()).orElseThrow();
            w.tensor(
                    t.name(),
                    src.type(),
                    src.ne(),
                    GgufManifest.bytes(sources.get(v).rawBytes(t.name())));
            variantOf.put(t.name(), v);
        }
        Path mixed = tmp.resolve("mixed.gguf");
        w.write(mixed);
        GgufFile g = GgufFile.open(mixed);
        assertThat(g.tensors().values().stream().map(GgufTensor::type).distinct())
                .containsExactlyInAnyOrder(GgmlType.F32, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q2_K);
        for (GgufTensor t : g.tensors().values()) {
            assertThat(GgufManifest.sha256(GgufManifest.f32le(g.readFloats(t.name()))))
                    .as(t.name() + " from " + variantOf.get(t.name()))
                    .isEqualTo(
                            GgufManifest.tensor(variantOf.get(t.name()), t.name())
                                    .get("sha256_dequant_f32le")
                                    .asText());
        }
    }

    static void copyKv(GgufFile from, String key, GgufWriter to) {
        GgufValueType type = from.valueType(key).orElseThrow();
        Object value = from.metadata().get(key);
        if (type == GgufValueType.ARRAY) {
            to.putArray(key, from.arrayType(key).orElseThrow(), (List<?>) value);
        } else {
            to.put(key, type, value);
        }
    }
}
