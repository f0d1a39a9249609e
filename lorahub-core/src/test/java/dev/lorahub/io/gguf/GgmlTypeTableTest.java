package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.io.AdapterFormatException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every type of ggml's type table ({@code ggml.h} {@code enum ggml_type} as of llama.cpp 2026:
 * ids 0 to 42, 4, 5, 31 to 33 and 36 to 38 removed), its block size and block bytes worked out
 * from the block structs of {@code ggml-common.h} (QK_K = 256; ggml_half 2 bytes), and a file
 * mixing all of them: it opens, the decodable tensors read, the others are refused naming the
 * tensor and the type.
 */
class GgmlTypeTableTest {
    private static final int QK_K = 256;
    private static final int HALF = 2;

    /** id -> {block elements, block bytes}, from the struct definitions. */
    private static Map<GgmlType, int[]> fromStructs() {
        Map<GgmlType, int[]> m = new LinkedHashMap<>();
        m.put(GgmlType.F32, new int[] {1, 4});
        m.put(GgmlType.F16, new int[] {1, 2});
        m.put(GgmlType.Q4_0, new int[] {32, HALF + 32 / 2});
        m.put(GgmlType.Q4_1, new int[] {32, 2 * HALF + 32 / 2});
        m.put(GgmlType.Q5_0, new int[] {32, HALF + 4 + 32 / 2});
        m.put(GgmlType.Q5_1, new int[] {32, 2 * HALF + 4 + 32 / 2});
        m.put(GgmlType.Q8_0, new int[] {32, HALF + 32});
        m.put(GgmlType.Q8_1, new int[] {32, 2 * HALF + 32});
        // K-quants: block_q2_K {scales[QK_K/16], qs[QK_K/4], d, dmin} ...
        m.put(GgmlType.Q2_K, new int[] {QK_K, QK_K / 16 + QK_K / 4 + 2 * HALF});
        m.put(GgmlType.Q3_K, new int[] {QK_K, QK_K / 8 + QK_K / 4 + 12 + HALF});
        m.put(GgmlType.Q4_K, new int[] {QK_K, 2 * HALF + 12 + QK_K / 2});
        m.put(GgmlType.Q5_K, new int[] {QK_K, 2 * HALF + 12 + QK_K / 8 + QK_K / 2});
        m.put(GgmlType.Q6_K, new int[] {QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + HALF});
        m.put(GgmlType.Q8_K, new int[] {QK_K, 4 + QK_K + 2 * (QK_K / 16)});
        m.put(GgmlType.IQ2_XXS, new int[] {QK_K, HALF + 2 * (QK_K / 8)});
        m.put(GgmlType.IQ2_XS, new int[] {QK_K, HALF + 2 * (QK_K / 8) + QK_K / 32});
        m.put(GgmlType.IQ3_XXS, new int[] {QK_K, HALF + 3 * QK_K / 8});
        m.put(GgmlType.IQ1_S, new int[] {QK_K, HALF + QK_K / 8 + 2 * (QK_K / 32)});
        m.put(GgmlType.IQ4_NL, new int[] {32, HALF + 32 / 2});
        m.put(GgmlType.IQ3_S, new int[] {QK_K, HALF + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64});
        m.put(GgmlType.IQ2_S, new int[] {QK_K, HALF + QK_K / 4 + QK_K / 32 + QK_K / 32});
        m.put(GgmlType.IQ4_XS, new int[] {QK_K, HALF + 2 + QK_K / 64 + QK_K / 2});
        m.put(GgmlType.I8, new int[] {1, 1});
        m.put(GgmlType.I16, new int[] {1, 2});
        m.put(GgmlType.I32, new int[] {1, 4});
        m.put(GgmlType.I64, new int[] {1, 8});
        m.put(GgmlType.F64, new int[] {1, 8});
        m.put(GgmlType.IQ1_M, new int[] {QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32});
        m.put(GgmlType.BF16, new int[] {1, 2});
        m.put(GgmlType.TQ1_0, new int[] {QK_K, (QK_K - 4 * QK_K / 64) / 5 + QK_K / 64 + HALF});
        m.put(GgmlType.TQ2_0, new int[] {QK_K, QK_K / 4 + HALF});
        m.put(GgmlType.MXFP4, new int[] {32, 1 + 32 / 2});
        m.put(GgmlType.NVFP4, new int[] {64, 64 / 16 + 64 / 2});
        m.put(GgmlType.Q1_0, new int[] {128, HALF + 128 / 8});
        m.put(GgmlType.Q2_0, new int[] {64, HALF + 64 / 4});
        return m;
    }

    @Test
    void block_sizes_and_bytes_are_those_of_ggmls_block_structs() {
        Map<GgmlType, int[]> want = fromStructs();
        assertThat(want.keySet()).containsExactlyInAnyOrder(GgmlType.values());
        int[] ids = {
            0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
            27, 28, 29, 30, 34, 35, 39, 40, 41, 42
        };
        int i = 0;
        for (Map.Entry<GgmlType, int[]> e : want.entrySet()) {
            GgmlType t = e.getKey();
            assertThat(t.id()).as(t.name()).isEqualTo(ids[i++]);
            assertThat(GgmlType.ofId(t.id())).contains(t);
            assertThat(t.blockSize()).as(t.name()).isEqualTo(e.getValue()[0]);
            assertThat(t.typeSize()).as(t.name()).isEqualTo(e.getValue()[1]);
        }
        for (int removed : new int[] {4, 5, 31, 32, 33, 36, 37, 38, 43}) {
            assertThat(GgmlType.ofId(removed)).as("id %d", removed).isEmpty();
        }
    }

    @Test
    void a_file_mixing_every_type_opens_and_refuses_only_the_tensors_it_cannot_convert()
            throws Exception {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValueType.STRING, "llama");
        for (GgmlType t : GgmlType.values()) {
            int n = 256; // a multiple of every block size
            byte[] data = new byte[Math.toIntExact(t.byteLength(n))]; // zeros: finite everywhere
            w.tensor("t." + t.name(), t, new long[] {n}, data);
        }
        GgufFile g = GgufFile.parse(java.nio.ByteBuffer.wrap(w.toBytes()), Path.of("mix.gguf"));
        assertThat(g.tensors()).hasSize(GgmlType.values().length);
        for (GgmlType t : GgmlType.values()) {
            String name = "t." + t.name();
            if (t.isDecodable()) {
                float[] v = g.readFloats(name);
                assertThat(v).as(name).hasSize(256);
                for (float x : v) {
                    assertThat(x == 0f).as("%s: %s (zero blocks decode to +-0)", name, x).isTrue();
                }
            } else {
                assertThatThrownBy(() -> g.readFloats(name))
                        .as(name)
                        .isInstanceOf(AdapterFormatException.class)
                        .hasMessageStartingWith(
                                "mix.gguf: tensor '"
                                        + name
                                        + "' is of ggml type "
                                        + t.name()
                                        + " ("
                                        + t.id()
                                        + "), which lorahub does not convert; supported: F32, F16,");
            }
        }
    }
}
