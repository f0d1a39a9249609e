package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.io.AdapterFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One test per kind of corruption the mutation test throws at the reader, each on a known field of
 * a small valid file, with the exact problem the one-line message must name.
 */
class GgufValidationTest {
    private static final Path NAME = Path.of("bad.gguf");

    /** Two F32 tensors of 8 and 4 values, alignment 32, two metadata entries. */
    private static byte[] valid() {
        return new GgufWriter()
                .put("general.architecture", GgufValueType.STRING, "llama")
                .putArray("tokens", GgufValueType.STRING, List.of("a", "b"))
                .tensorF32("first", new long[] {8}, new float[8])
                .tensorF32("second", new long[] {2, 2}, new float[4])
                .toBytes();
    }

    private static GgufMutator.Slot slot(byte[] b, GgufMutator.Field f, int index) {
        return new GgufMutator(b).slots().stream().filter(s -> s.field() == f).toList().get(index);
    }

    private static byte[] with(GgufMutator.Field f, int index, long value) {
        byte[] b = valid();
        GgufMutator.Slot s = slot(b, f, index);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (s.width() == 8) {
            bb.putLong(s.at(), value);
        } else {
            bb.putInt(s.at(), (int) value);
        }
        return b;
    }

    private static String refusal(byte[] bytes) {
        try {
            GgufFile.parse(ByteBuffer.wrap(bytes), NAME);
        } catch (AdapterFormatException e) {
            assertThat(e.getMessage()).startsWith("bad.gguf: ").doesNotContain("\n");
            return e.getMessage();
        }
        throw new AssertionError("accepted");
    }

    @Test
    void the_base_file_is_valid() {
        GgufFile g = GgufFile.parse(ByteBuffer.wrap(valid()), NAME);
        assertThat(g.tensors()).containsOnlyKeys("first", "second");
    }

    @Test
    void an_absurd_string_length_is_refused_before_allocating() {
        assertThat(refusal(with(GgufMutator.Field.STRING_LENGTH, 0, Long.MAX_VALUE)))
                .contains("value of 'general.architecture'", "has length 9223372036854775807",
                        "past the end of the file");
        assertThat(refusal(with(GgufMutator.Field.KEY_LENGTH, 1, -1L)))
                .contains("key of metadata entry 1", "18446744073709551615");
    }

    @Test
    void an_array_count_past_the_end_of_the_file_is_refused() {
        assertThat(refusal(with(GgufMutator.Field.ARRAY_COUNT, 0, 1L << 40)))
                .contains("metadata 'tokens': array of 1099511627776 STRING elements cannot fit");
    }

    @Test
    void tensor_and_metadata_counts_past_the_end_of_the_file_are_refused() {
        assertThat(refusal(with(GgufMutator.Field.TENSOR_COUNT, 0, 1L << 33)))
                .contains("tensor count 8589934592 cannot fit");
        assertThat(refusal(with(GgufMutator.Field.KV_COUNT, 0, 3)))
                .contains("truncated");
    }

    @Test
    void misaligned_and_overlapping_tensor_offsets_are_refused() {
        assertThat(refusal(with(GgufMutator.Field.OFFSET, 1, 33)))
                .contains("tensor 'second' has data offset 33, expected 32", "no overlap");
        assertThat(refusal(with(GgufMutator.Field.OFFSET, 1, 0)))
                .contains("tensor 'second' has data offset 0, expected 32");
        assertThat(refusal(with(GgufMutator.Field.OFFSET, 0, 32)))
                .contains("tensor 'first' has data offset 32, expected 0");
    }

    @Test
    void dimensions_whose_product_overflows_are_refused() {
        byte[] b = with(GgufMutator.Field.DIM, 1, 1L << 40);
        GgufMutator.Slot second = slot(b, GgufMutator.Field.DIM, 2);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(second.at(), 1L << 40);
        assertThat(refusal(b))
                .contains("tensor 'second' has dimensions [1099511627776, 1099511627776]",
                        "overflows");
        assertThat(refusal(with(GgufMutator.Field.DIM, 0, -1L)))
                .contains("tensor 'first' has dimension 0 = 18446744073709551615");
        assertThat(refusal(with(GgufMutator.Field.DIM_COUNT, 0, 5)))
                .contains("tensor 'first' has 5 dimensions, ggml allows at most 4");
    }

    @Test
    void unknown_ggml_value_and_element_types_are_refused() {
        assertThat(refusal(with(GgufMutator.Field.GGML_TYPE, 0, 4)))
                .contains("tensor 'first' has unknown ggml type 4 (Q4_2, removed from ggml:");
        // the ARM-repacked types of late-2024 files (ggml.h: "support has been removed from gguf
        // files"); their blocks are interleaved, so reading them as Q4_0 would be wrong
        assertThat(refusal(with(GgufMutator.Field.GGML_TYPE, 0, 31)))
                .contains(
                        "tensor 'first' has unknown ggml type 31 (Q4_0_4_4, removed from ggml:"
                                + " llama.cpp no longer reads it either; quantize the model again"
                                + " with a current llama-quantize)");
        assertThat(refusal(with(GgufMutator.Field.GGML_TYPE, 0, 38)))
                .contains("ggml type 38 (IQ4_NL_8_8, removed");
        assertThat(refusal(with(GgufMutator.Field.GGML_TYPE, 1, 1000)))
                .contains(
                        "tensor 'second' has unknown ggml type 1000 (not a type ggml defines (0 to"
                                + " 42, without 4, 5, 31 to 33 and 36 to 38))");
        assertThat(refusal(with(GgufMutator.Field.VALUE_TYPE, 0, 13)))
                .contains("metadata 'general.architecture' has unknown value type 13");
        assertThat(refusal(with(GgufMutator.Field.ELEMENT_TYPE, 0, 9)))
                .contains("metadata 'tokens' is an array of arrays");
    }

    @Test
    void a_tensor_past_the_end_of_the_file_is_refused() {
        byte[] b = valid();
        byte[] cut = java.util.Arrays.copyOf(b, b.length - 20);
        assertThat(refusal(cut))
                .contains("tensor 'second' (F32 [2, 2], 16 bytes at", "lies past the end");
    }

    @Test
    void names_with_control_characters_are_escaped_so_the_message_stays_one_line() {
        byte[] b =
                new GgufWriter()
                        .put("bad\nkey", GgufValueType.STRING, "x")
                        .tensorF32("t", new long[] {8}, new float[8])
                        .toBytes();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(new GgufMutator(b).slots().get(3).at(), 77); // the value type of "bad\nkey"
        assertThat(refusal(b)).contains("metadata 'bad\\u000akey' has unknown value type 77");
    }
}
