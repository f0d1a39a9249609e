package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded mutation test: corrupted files (see {@link Mutator}) are either read correctly (then every
 * float tensor converts and every tensor's bytes are reachable) or refused with {@link
 * AdapterFormatException}: no other exception, no hang, and no allocation the file's length does
 * not justify. 10,000 mutations of two self-made files and 6,000 more of two PEFT fixture adapters
 * (from the test data).
 */
class SafetensorsMutationTest {
    private static final int PER_BLOCK = 1000;
    private static final Duration PER_FILE = Duration.ofSeconds(10);

    /** Allocation allowed per parse: JSON trees cost a few dozen bytes per header byte. */
    private static long allocationBudget(int fileLength) {
        return 64L * fileLength + (1 << 20);
    }

    static Stream<Arguments> selfMadeBlocks() {
        return IntStream.range(0, 10)
                .mapToObj(b -> Arguments.of(b % 2 == 0 ? "mixed-dtypes" : "adapter-like", b));
    }

    static Stream<Arguments> fixtureBlocks() {
        return IntStream.range(0, 6)
                .mapToObj(
                        b ->
                                Arguments.of(
                                        b % 2 == 0
                                                ? "llama/adapters/adapter_0"
                                                : "t5/adapters/adapter_2",
                                        b));
    }

    /** Class loading and first-use caches (Jackson, AssertJ) must not count against a file. */
    @BeforeAll
    static void warm_up() throws IOException {
        for (long seed = 0; seed < 200; seed++) {
            byte[] bytes = new Mutator(mixedDtypes()).mutate(seed).bytes();
            assertTimeoutPreemptively(PER_FILE, () -> check(bytes, "warm-up", false));
        }
    }

    @ParameterizedTest(name = "{0} block {1}")
    @MethodSource("selfMadeBlocks")
    void self_made_files_survive_a_thousand_mutations_per_block(String base, int block) {
        byte[] original = base.equals("mixed-dtypes") ? mixedDtypes() : adapterLike();
        runBlock(base, original, 1_000_000L * block);
    }

    @ParameterizedTest(name = "{0} block {1}")
    @MethodSource("fixtureBlocks")
    void fixture_adapters_survive_a_thousand_mutations_per_block(String base, int block)
            throws IOException {
        Path file = TestData.require("hf-tiny/" + base + "/adapter_model.safetensors");
        runBlock(base, Files.readAllBytes(file), 7_000_000L * (block + 1));
    }

    @Test
    void the_self_made_bases_are_valid_and_hold_every_dtype() {
        SafetensorsReader r = SafetensorsReader.parse(ByteBuffer.wrap(mixedDtypes()), Path.of("m"));
        assertThat(r.tensors()).extracting(TensorInfo::dtype).contains(DType.values());
        SafetensorsReader a = SafetensorsReader.parse(ByteBuffer.wrap(adapterLike()), Path.of("a"));
        assertThat(a.tensors()).hasSize(8);
    }

    private static void runBlock(String base, byte[] original, long firstSeed) {
        Mutator mutator = new Mutator(original);
        int refused = 0;
        for (int i = 0; i < PER_BLOCK; i++) {
            long seed = firstSeed + i;
            Mutator.Mutation m = mutator.mutate(seed);
            String context = base + " seed " + seed + " (" + m.description() + ")";
            boolean ok =
                    assertTimeoutPreemptively(
                            PER_FILE,
                            () -> check(m.bytes(), context, true),
                            context + ": timed out");
            refused += ok ? 0 : 1;
        }
        // the mutations must mostly hit the format, or the test would prove little
        assertThat(refused).as(base + " refused of " + PER_BLOCK).isGreaterThan(PER_BLOCK / 2);
    }

    /**
     * @return true when read correctly, false when refused with AdapterFormatException
     */
    private static boolean check(byte[] bytes, String context, boolean measure) throws IOException {
        long before = measure ? allocatedBytes() : -1;
        SafetensorsReader reader;
        try {
            reader = SafetensorsReader.parse(ByteBuffer.wrap(bytes), Path.of("mutant"));
        } catch (AdapterFormatException e) {
            assertThat(e.getMessage()).as(context).startsWith("mutant: ");
            assertAllocationWithinBudget(before, bytes.length, context);
            return false;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(context + ": unexpected " + e, e);
        }
        long data = bytes.length - reader.dataStart();
        long covered = 0;
        for (TensorInfo t : reader.tensors()) {
            covered += t.byteLength();
            if (t.dtype().isConvertibleToFloat32()) {
                float[] values = reader.readFloat32(t.name());
                assertThat((long) values.length).as(context).isEqualTo(t.numel());
                assertThat((long) values.length).as(context).isLessThanOrEqualTo(bytes.length / 2);
            } else {
                assertThat((long) reader.rawBytes(t.name()).remaining())
                        .as(context)
                        .isEqualTo(t.byteLength());
            }
        }
        assertThat(covered).as(context + ": tensors tile the data").isEqualTo(data);
        assertAllocationWithinBudget(before, bytes.length, context);
        return true;
    }

    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx) {
            return mx.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }

    private static void assertAllocationWithinBudget(long before, int fileLength, String context) {
        long after = allocatedBytes();
        if (before >= 0 && after >= 0) {
            assertThat(after - before)
                    .as(context + ": bytes allocated for a " + fileLength + "-byte file")
                    .isLessThanOrEqualTo(allocationBudget(fileLength));
        }
    }

    /** One small tensor of every dtype, plus a scalar and a zero-sized tensor. */
    static byte[] mixedDtypes() {
        Random rnd = new Random(42);
        List<TensorData> tensors = new ArrayList<>();
        for (DType t : DType.values()) {
            long[] shape = {2, 3};
            if (t.isConvertibleToFloat32()) {
                float[] v = new float[6];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rnd.nextGaussian();
                }
                tensors.add(TensorData.ofFloats("t." + t, shape, v, t));
            } else {
                byte[] raw = new byte[6 * t.byteSize()];
                rnd.nextBytes(raw);
                tensors.add(TensorData.ofRaw("t." + t, t, shape, raw));
            }
        }
        tensors.add(TensorData.ofFloats("scalar", new long[0], new float[] {3.5f}, DType.F32));
        tensors.add(TensorData.ofFloats("empty", new long[] {0, 4}, new float[0], DType.BF16));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        return SafetensorsWriter.toBytes(meta, tensors);
    }

    /** PEFT-like adapter: 2 layers x {q, v} x {lora_A [4, 16], lora_B [16, 4]}, F16 and F32. */
    static byte[] adapterLike() {
        Random rnd = new Random(7);
        List<TensorData> tensors = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            for (String m : List.of("q_proj", "v_proj")) {
                String p = "base_model.model.model.layers." + layer + ".self_attn." + m;
                float[] a = new float[64];
                float[] b = new float[64];
                for (int i = 0; i < 64; i++) {
                    a[i] = (float) rnd.nextGaussian();
                    b[i] = (float) rnd.nextGaussian() * 0.1f;
                }
                DType storeAs = layer == 0 ? DType.F16 : DType.F32;
                tensors.add(
                        TensorData.ofFloats(p + ".lora_A.weight", new long[] {4, 16}, a, storeAs));
                tensors.add(
                        TensorData.ofFloats(p + ".lora_B.weight", new long[] {16, 4}, b, storeAs));
            }
        }
        return SafetensorsWriter.toBytes(Map.of("format", "pt"), tensors);
    }
}
