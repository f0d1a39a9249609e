package dev.lorahub.io;

import static dev.lorahub.io.SafetensorsBytes.entry;
import static dev.lorahub.io.SafetensorsBytes.file;
import static dev.lorahub.io.SafetensorsBytes.withLength;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per invalid case of the spec: each is an AdapterFormatException naming file and fault.
 */
class SafetensorsValidationTest {
    private static final Path NAME = Path.of("bad.safetensors");

    @TempDir Path tmp;

    private static AbstractThrowableAssert<?, ? extends Throwable> rejects(byte[] bytes) {
        return assertThatThrownBy(() -> SafetensorsReader.parse(ByteBuffer.wrap(bytes), NAME))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith("bad.safetensors: ")
                .satisfies(e -> assertThat(((AdapterFormatException) e).file()).isEqualTo(NAME));
    }

    private static String header(String... entries) {
        return "{" + String.join(",", entries) + "}";
    }

    private Path onDisk(byte[] bytes) throws IOException {
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, bytes);
        return f;
    }

    @Test
    void accepts_a_well_formed_file_as_a_baseline() {
        byte[] ok =
                file(
                        header(
                                "\"__metadata__\":{\"format\":\"pt\"}",
                                entry("a", "F32", "[2,2]", 0, 16),
                                entry("b", "I8", "[3]", 16, 19)),
                        19);
        SafetensorsReader r = SafetensorsReader.parse(ByteBuffer.wrap(ok), NAME);
        assertThat(r.tensors()).extracting(TensorInfo::name).containsExactly("a", "b");
        assertThat(r.metadata()).containsEntry("format", "pt");
    }

    @Test
    void rejects_a_file_shorter_than_8_bytes() throws IOException {
        rejects(new byte[5]).hasMessageContaining("5 bytes long");
        rejects(new byte[0]).hasMessageContaining("0 bytes long");
        Path f = onDisk(new byte[7]);
        assertThatThrownBy(() -> SafetensorsReader.open(f))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContaining("7 bytes long");
    }

    @Test
    void rejects_a_header_length_over_100_million() {
        rejects(withLength(100_000_001L, new byte[16])).hasMessageContaining("100000001 exceeds");
        rejects(withLength(-1L, new byte[16])).hasMessageContaining("18446744073709551615");
    }

    @Test
    void rejects_a_header_length_past_the_end_of_the_file() throws IOException {
        rejects(withLength(9, "{}      ".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("header length 9 runs past the end of the file (16 bytes)");
        Path f = onDisk(withLength(100_000_000L, new byte[8]));
        assertThatThrownBy(() -> SafetensorsReader.open(f))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("runs past the end");
    }

    @Test
    void rejects_a_header_that_is_not_utf8() {
        byte[] h = "{\"__metadata__\":{\"k\":\"v?\"}}".getBytes(StandardCharsets.US_ASCII);
        h[22] = (byte) 0xFF;
        rejects(file(h, 0)).hasMessageContaining("not valid UTF-8");
        byte[] truncatedSequence =
                "{\"__metadata__\":{\"k\":\"?\"}}".getBytes(StandardCharsets.US_ASCII);
        truncatedSequence[22] = (byte) 0xC3; // lead byte without continuation
        rejects(file(truncatedSequence, 0)).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void rejects_invalid_json() {
        rejects(file("{\"a\":", 0)).hasMessageContaining("not valid JSON");
        rejects(file("{} {}", 0))
                .hasMessageEndingWith(
                        "header is not valid JSON: content after the JSON value at character 3"
                                + " (line 1, column 4)");
        rejects(file("{\"a\":NaN}", 0)).hasMessageContaining("not valid JSON");
        rejects(file("[]", 0)).hasMessageContaining("does not start with '{'");
        rejects(file(" {}", 0)).hasMessageContaining("does not start with '{'");
        rejects(file("", 0)).hasMessageContaining("does not start with '{'");
    }

    @Test
    void rejects_deep_nesting_without_overflowing_the_stack() {
        String deep = "[".repeat(100_000);
        rejects(file("{\"a\":" + deep, 0)).hasMessageContaining("not valid JSON");
        rejects(file("{\"__metadata__\":{\"k\":" + deep, 0)).hasMessageContaining("not valid JSON");
    }

    @Test
    void accepts_a_metadata_string_longer_than_jacksons_default_limit() {
        String big = "x".repeat(21_000_000); // Jackson's default limit is 20,000,000 chars
        byte[] ok = file("{\"__metadata__\":{\"k\":\"" + big + "\"}}", 0);
        assertThat(SafetensorsReader.parse(ByteBuffer.wrap(ok), NAME).metadata().get("k"))
                .hasSize(big.length());
    }

    @Test
    void rejects_duplicate_keys() {
        rejects(file(header(entry("a", "F32", "[1]", 0, 4), entry("a", "F32", "[1]", 4, 8)), 8))
                .hasMessageContaining("Duplicate field 'a'");
        rejects(
                        file(
                                "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],"
                                        + "\"data_offsets\":[0,4]}}",
                                4))
                .hasMessageContaining("Duplicate field 'dtype'");
    }

    @Test
    void rejects_an_unknown_dtype() {
        rejects(file(header(entry("a", "F128", "[1]", 0, 16)), 16))
                .hasMessageContaining("tensor 'a': unknown dtype 'F128'");
    }

    @Test
    void rejects_a_lowercase_dtype() {
        rejects(file(header(entry("a", "f32", "[1]", 0, 4)), 4))
                .hasMessageContaining("unknown dtype 'f32'")
                .hasMessageContaining("case-sensitive");
    }

    @Test
    void rejects_a_dtype_that_is_not_a_string() {
        rejects(file("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4))
                .hasMessageContaining("dtype is the integer 4, expected a string");
    }

    @Test
    void rejects_a_negative_dimension() {
        rejects(file(header(entry("a", "F32", "[-1]", 0, 4)), 4))
                .hasMessageContaining("shape[0] = -1 is negative");
    }

    @Test
    void rejects_a_fractional_or_exponent_dimension() {
        rejects(file(header(entry("a", "F32", "[2.0]", 0, 8)), 8))
                .hasMessageContaining("shape[0] is the number 2.0");
        rejects(file(header(entry("a", "F32", "[1e1]", 0, 40)), 40))
                .hasMessageContaining("shape[0] is the number");
    }

    @Test
    void rejects_a_negative_or_fractional_offset() {
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[-0.5,0]}}", 0))
                .hasMessageContaining("data_offsets[0] is the number -0.5");
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}", 0))
                .hasMessageContaining("data_offsets[0] = -1 is negative");
    }

    @Test
    void rejects_numbers_beyond_64_bits() {
        rejects(
                        file(
                                header(entry("a", "U8", "[1]", 0, 1))
                                        .replace("[1]", "[18446744073709551616]"),
                                1))
                .hasMessageContaining("shape[0] = 18446744073709551616 does not fit in 64 bits");
        rejects(
                        file(
                                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],"
                                        + "\"data_offsets\":[0,9223372036854775808]}}",
                                1))
                .hasMessageContaining("does not fit in 64 bits");
    }

    @Test
    void rejects_a_shape_or_offsets_that_are_not_arrays() {
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":\"1\",\"data_offsets\":[0,1]}}", 1))
                .hasMessageContaining("tensor 'a': shape is a string, expected an array");
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":{}}}", 1))
                .hasMessageContaining("data_offsets is an object");
    }

    @Test
    void rejects_data_offsets_without_exactly_two_entries() {
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1))
                .hasMessageContaining("data_offsets has 3 entries");
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}", 1))
                .hasMessageContaining("data_offsets has 1 entries");
    }

    @Test
    void rejects_a_tensor_entry_that_is_not_an_object() {
        rejects(file("{\"a\":[1,2]}", 0)).hasMessageContaining("tensor 'a' is an array");
        rejects(file("{\"a\":null}", 0)).hasMessageContaining("tensor 'a' is null");
    }

    @Test
    void rejects_missing_fields() {
        rejects(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1))
                .hasMessageContaining("tensor 'a' has no 'dtype'");
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1))
                .hasMessageContaining("tensor 'a' has no 'shape'");
        rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1))
                .hasMessageContaining("tensor 'a' has no 'data_offsets'");
    }

    @Test
    void rejects_non_string_metadata() {
        rejects(file("{\"__metadata__\":{\"format\":1}}", 0))
                .hasMessageContaining("__metadata__ value of 'format' is the integer 1");
        rejects(file("{\"__metadata__\":{\"format\":null}}", 0))
                .hasMessageContaining("__metadata__ value of 'format' is null");
        rejects(file("{\"__metadata__\":\"pt\"}", 0))
                .hasMessageContaining("__metadata__ is a string, expected an object");
    }

    @Test
    void rejects_a_tensor_named_metadata() {
        rejects(file(header(entry("__metadata__", "F32", "[1]", 0, 4)), 4))
                .hasMessageContaining("__metadata__ value of 'shape' is an array");
    }

    @Test
    void rejects_a_first_tensor_that_does_not_begin_at_zero() {
        rejects(file(header(entry("a", "F32", "[1]", 4, 8)), 8))
                .hasMessageContaining("the first tensor 'a' begins at 4, expected 0");
    }

    @Test
    void rejects_a_gap_between_tensors() {
        rejects(file(header(entry("a", "F32", "[1]", 0, 4), entry("b", "F32", "[1]", 8, 12)), 12))
                .hasMessageContaining("tensor 'b' begins at 8 but 'a' ends at 4 (gap)");
    }

    @Test
    void rejects_overlapping_tensors() {
        rejects(file(header(entry("a", "F32", "[2]", 0, 8), entry("b", "F32", "[1]", 4, 8)), 8))
                .hasMessageContaining("tensor 'b' begins at 4 but 'a' ends at 8 (overlap)");
        rejects(file(header(entry("a", "F32", "[1]", 0, 4), entry("b", "F32", "[1]", 0, 4)), 8))
                .hasMessageContaining("(overlap)");
    }

    @Test
    void rejects_an_end_before_its_begin() {
        rejects(file(header(entry("a", "U8", "[0]", 8, 4)), 8))
                .hasMessageContaining("tensor 'a': data_offsets [8, 4] end before begin");
    }

    @Test
    void rejects_a_shape_whose_product_overflows() {
        rejects(file(header(entry("a", "F32", "[4294967296,4294967296]", 0, 4)), 4))
                .hasMessageContaining("overflows a 64-bit element or byte count");
        // the element count fits in 64 bits but the byte count does not
        rejects(file(header(entry("a", "F64", "[2305843009213693952]", 0, 4)), 4))
                .hasMessageContaining("overflows");
    }

    @Test
    void rejects_a_byte_range_that_does_not_match_shape_and_dtype() {
        rejects(file(header(entry("a", "F32", "[2,2]", 0, 12)), 12))
                .hasMessageContaining(
                        "tensor 'a': data_offsets [0, 12] hold 12 bytes, expected 16 for F32 [2,"
                                + " 2]");
    }

    @Test
    void rejects_a_huge_shape_before_allocating_it() {
        // 10^12 elements claimed, 4 TB of data, in a 100-byte file
        rejects(file(header(entry("a", "F32", "[1000000,1000000]", 0, 4_000_000_000_000L)), 0))
                .hasMessageContaining("data truncated: the tensors need 4000000000000 bytes");
    }

    @Test
    void rejects_trailing_bytes_after_the_last_tensor() {
        rejects(file(header(entry("a", "F32", "[1]", 0, 4)), 8))
                .hasMessageContaining("4 trailing bytes after the last tensor");
        rejects(file("{}", 1)).hasMessageContaining("1 trailing bytes");
    }

    @Test
    void rejects_truncated_data() throws IOException {
        rejects(file(header(entry("a", "F32", "[2]", 0, 8)), 7))
                .hasMessageContaining(
                        "data truncated: the tensors need 8 bytes after the header,"
                                + " the file has 7");
        Path f = onDisk(file(header(entry("a", "F32", "[2]", 0, 8)), 3));
        assertThatThrownBy(() -> SafetensorsReader.open(f))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(f.toString())
                .hasMessageContaining("data truncated");
    }

    @Test
    void a_folder_is_refused_naming_it(@TempDir Path tmp) throws IOException {
        Path folder = Files.createDirectory(tmp.resolve("adapter_model.safetensors"));
        assertThatThrownBy(() -> SafetensorsReader.open(folder))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(folder + ": ")
                .hasMessageContaining("is a folder");
    }
}
