package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded property test: random tensors (every dtype, scalars, zero-sized dimensions, names and
 * metadata with quotes, backslashes, control characters and non-ASCII) written then read are
 * bit-identical, and the file has the reference layout, checked with an independent JSON parse.
 */
class SafetensorsRoundTripTest {
    private static final String[] NAME_PARTS = {
        "a",
        "b",
        "lora_A",
        "weight",
        "é",
        "日本",
        "\uD83D\uDE00",
        "\"q\"",
        "back\\slash",
        "tab\t",
        "nl\n",
        "\u0001",
        "z",
        "A",
        "_",
        "\u007F",
        "\uFFFD",
        "0"
    };

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    static LongStream seeds() {
        return LongStream.range(0, 250);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void random_tensors_written_then_read_are_bit_identical(long seed) throws IOException {
        Random rnd = new Random(seed);
        Map<String, String> metadata = new LinkedHashMap<>();
        for (int i = rnd.nextInt(4); i > 0; i--) {
            metadata.put(randomName(rnd), randomName(rnd));
        }
        List<TensorData> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = rnd.nextInt(9); i > 0; i--) {
            String name = randomName(rnd);
            if (names.add(name)) {
                tensors.add(randomTensor(rnd, name));
            }
        }
        String ctx = "seed " + seed;

        byte[] bytes = SafetensorsWriter.toBytes(metadata, tensors);
        checkReferenceLayout(bytes, metadata, tensors, ctx);
        Path file = tmp.resolve("t" + seed + ".safetensors");
        boolean onDisk = seed % 10 == 0; // the file path for some seeds, memory for the others
        if (onDisk) {
            SafetensorsWriter.write(file, metadata, tensors);
            assertThat(Files.readAllBytes(file))
                    .as(ctx + ": write() and toBytes() agree")
                    .isEqualTo(bytes);
        }
        try (SafetensorsReader reader =
                onDisk
                        ? SafetensorsReader.open(file)
                        : SafetensorsReader.parse(ByteBuffer.wrap(bytes), file)) {
            assertThat(reader.metadata()).as(ctx).containsExactlyEntriesOf(metadata);
            assertThat(reader.tensors()).as(ctx).hasSize(tensors.size());
            for (TensorData t : tensors) {
                TensorInfo info = reader.tensor(t.name()).orElseThrow();
                assertThat(info.dtype()).as(ctx).isEqualTo(t.dtype());
                assertThat(info.shape()).as(ctx).isEqualTo(t.shape());
                assertThat(reader.rawBytes(t.name())).as(ctx + " " + t.name()).isEqualTo(t.bytes());
                if (t.dtype().isConvertibleToFloat32()) {
                    float[] expected = t.toFloats();
                    float[] actual = reader.readFloat32(t.name());
                    assertThat(floatBits(actual)).as(ctx).isEqualTo(floatBits(expected));
                }
            }
            // written back from what was read: the same bytes again
            assertThat(SafetensorsWriter.toBytes(reader.metadata(), reader.readAll()))
                    .as(ctx)
                    .isEqualTo(bytes);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void floats_stored_in_each_float_dtype_read_back_as_their_rounding(long seed)
            throws IOException {
        Random rnd = new Random(seed);
        float[] values = new float[1 + rnd.nextInt(40)];
        for (int i = 0; i < values.length; i++) {
            values[i] =
                    switch (rnd.nextInt(6)) {
                        case 0 -> Float.intBitsToFloat(rnd.nextInt());
                        case 1 -> (float) rnd.nextGaussian() * 1e-6f;
                        case 2 -> (float) rnd.nextGaussian() * 7e4f;
                        default -> (float) rnd.nextGaussian();
                    };
        }
        long[] shape = {values.length};
        for (DType t : List.of(DType.F32, DType.F64, DType.F16, DType.BF16)) {
            byte[] file =
                    SafetensorsWriter.toBytes(
                            Map.of(), List.of(TensorData.ofFloats("x", shape, values, t)));
            float[] back =
                    SafetensorsReader.parse(ByteBuffer.wrap(file), Path.of("x")).readFloat32("x");
            for (int i = 0; i < values.length; i++) {
                float expected =
                        switch (t) {
                            case F16 -> Float16.toFloat(Float16.fromFloat(values[i]));
                            case BF16 -> BFloat16.toFloat(BFloat16.fromFloat(values[i]));
                            default -> values[i]; // F32 and F64 hold every float exactly
                        };
                if (Float.isNaN(expected)) {
                    assertThat(back[i]).as("seed %d %s [%d]", seed, t, i).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(back[i]))
                            .as("seed %d %s [%d]", seed, t, i)
                            .isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
    }

    /** Header parsed by plain Jackson: order, offsets, compactness and padding of the reference. */
    private static void checkReferenceLayout(
            byte[] bytes, Map<String, String> metadata, List<TensorData> tensors, String ctx)
            throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) buf.getLong(0);
        assertThat(n % 8).as(ctx + ": N multiple of 8").isZero();
        String header = new String(bytes, 8, n, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertThat(n - json.getBytes(StandardCharsets.UTF_8).length)
                .as(ctx + ": padding")
                .isBetween(0, 7);
        JsonNode root = JSON.readTree(json);
        // Jackson writes compact JSON like serde_json, except for upper-case hex in \\u00XX
        String jackson = JSON.writeValueAsString(root);
        assertThat(lowerCaseEscapes(jackson)).as(ctx + ": compact").isEqualTo(json);
        Iterator<Map.Entry<String, JsonNode>> fields = root.properties().iterator();
        if (!metadata.isEmpty()) {
            assertThat(fields.next().getKey()).as(ctx).isEqualTo("__metadata__");
        }
        List<TensorData> expectedOrder = new ArrayList<>(tensors);
        expectedOrder.sort(
                Comparator.comparing(TensorData::dtype, Comparator.reverseOrder())
                        .thenComparing(
                                t ->
                                        new String(
                                                t.name().getBytes(StandardCharsets.UTF_8),
                                                StandardCharsets
                                                        .ISO_8859_1))); // byte order of UTF-8
        long offset = 0;
        for (TensorData t : expectedOrder) {
            Map.Entry<String, JsonNode> e = fields.next();
            assertThat(e.getKey()).as(ctx).isEqualTo(t.name());
            assertThat(e.getValue().get("data_offsets").get(0).asLong()).as(ctx).isEqualTo(offset);
            offset += t.byteLength();
            assertThat(e.getValue().get("data_offsets").get(1).asLong()).as(ctx).isEqualTo(offset);
        }
        assertThat(bytes.length).as(ctx).isEqualTo(8 + n + (int) offset);
    }

    private static String lowerCaseEscapes(String json) {
        return java.util.regex.Pattern.compile("\\\\u00([0-9A-F]{2})")
                .matcher(json)
                .replaceAll(m -> "\\\\u00" + m.group(1).toLowerCase(java.util.Locale.ROOT));
    }

    private static String randomName(Random rnd) {
        StringBuilder s = new StringBuilder();
        for (int i = 1 + rnd.nextInt(3); i > 0; i--) {
            s.append(NAME_PARTS[rnd.nextInt(NAME_PARTS.length)]);
            if (rnd.nextBoolean()) {
                s.append('.').append(rnd.nextInt(12));
            }
        }
        return s.toString().equals("__metadata__") ? "x" : s.toString();
    }

    private static TensorData randomTensor(Random rnd, String name) {
        DType dtype = DType.values()[rnd.nextInt(DType.values().length)];
        long[] shape = new long[rnd.nextInt(5)];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = rnd.nextInt(8) == 0 ? 0 : 1 + rnd.nextInt(5);
        }
        int numel = (int) TensorInfo.numel(shape);
        if (dtype.isConvertibleToFloat32() && rnd.nextBoolean()) {
            float[] v = new float[numel];
            for (int i = 0; i < numel; i++) {
                v[i] = (float) rnd.nextGaussian();
            }
            return TensorData.ofFloats(name, shape, v, dtype);
        }
        byte[] raw = new byte[numel * dtype.byteSize()];
        rnd.nextBytes(raw);
        return TensorData.ofRaw(name, dtype, shape, raw);
    }

    private static int[] floatBits(float[] v) {
        return Arrays.stream(toDoubles(v))
                .mapToInt(d -> Float.floatToRawIntBits((float) d))
                .toArray();
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
