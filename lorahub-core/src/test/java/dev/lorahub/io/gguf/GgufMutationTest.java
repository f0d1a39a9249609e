package dev.lorahub.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lorahub.io.AdapterFormatException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded mutation test of the GGUF reader (issue 14 §4): 10,200 corrupted files (see {@link
 * GgufMutator}: absurd key, string and array lengths; counts past the end of the file; misaligned
 * or overlapping tensor offsets; overflowing dimension products; unknown types; random damage) made
 * from three valid files: a self-made one with every metadata type and eleven tensor types, the
 * gguf-quants llama.cpp LoRA adapter and the Q4_0 subset model (a 512-token tokenizer's arrays),
 * both written by ggml. Each is either read correctly (every tensor's bytes reachable, every
 * decodable tensor converted) or refused with one {@link AdapterFormatException} of one line that
 * starts with the file's name; no other exception, no hang (10 s per file) and no allocation the
 * file's size does not back (at most 32 bytes per byte of file plus 1 MiB: float32 output of Q2_K
 * is 12.2 bytes per stored byte, a metadata array of u8 holds a Java Long per byte).
 */
class GgufMutationTest {
    private static final int PER_BLOCK = 850;
    private static final Duration PER_FILE = Duration.ofSeconds(10);
    private static final Path NAME = Path.of("mutant.gguf");

    private static long allocationBudget(int fileLength) {
        return 32L * fileLength + (1 << 20);
    }

    @TempDir Path tmp;

    static Stream<Arguments> blocks() {
        List<String> bases = List.of("self-made", "lora-adapter", "q4_0-subset");
        return IntStream.range(0, 12).mapToObj(b -> Arguments.of(bases.get(b % 3), b));
    }

    static byte[] base(String name) throws IOException {
        return switch (name) {
            case "self-made" -> selfMade();
            case "lora-adapter" -> Files.readAllBytes(
                    GgufManifest.path("lora/tiny-llama-lora-F32.gguf"));
            case "q4_0-subset" -> Files.readAllBytes(
                    GgufManifest.path("models/tiny-llama-Q4_0.subset.gguf"));
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Class loading and first-use caches must not count against a file. */
    @BeforeAll
    static void warm_up() throws IOException {
        GgufMutator m = new GgufMutator(selfMade());
        for (long seed = 0; seed < 300; seed++) {
            byte[] bytes = m.mutate(seed).bytes();
            assertTimeoutPreemptively(PER_FILE, () -> check(bytes, "warm-up", false));
        }
    }

    @ParameterizedTest(name = "{0} block {1}")
    @MethodSource("blocks")
    void corrupted_files_are_read_or_refused_in_one_line_without_hang_or_excess_allocation(
            String base, int block) throws IOException {
        GgufMutator mutator = new GgufMutator(base(base));
        Map<GgufMutator.Kind, int[]> refusedOf = new EnumMap<>(GgufMutator.Kind.class);
        for (int i = 0; i < PER_BLOCK; i++) {
            long seed = 1_000_003L * block + i;
            GgufMutator.Mutation m = mutator.mutate(seed);
            String context = base + " seed " + seed + " (" + m.description() + ")";
            boolean read =
                    assertTimeoutPreemptively(
                            PER_FILE, () -> check(m.bytes(), context, true), context + ": hung");
            int[] counts = refusedOf.computeIfAbsent(m.kind(), k -> new int[2]);
            counts[0]++;
            counts[1] += read ? 0 : 1;
        }
        // each kind must mostly hit something the reader checks, or the test would prove little
        for (Map.Entry<GgufMutator.Kind, int[]> e : refusedOf.entrySet()) {
            int[] c = e.getValue();
            assertThat(c[1])
                    .as("%s %s: refused of %d", base, e.getKey(), c[0])
                    .isGreaterThan(e.getKey() == GgufMutator.Kind.RANDOM_BYTES ? c[0] / 4 : c[0] / 2);
        }
        assertThat(refusedOf).hasSize(GgufMutator.Kind.values().length);
    }

    /** The same through {@link GgufFile#open}: memory-mapped, truncated and damaged files on disk. */
    @Test
    void corrupted_files_on_disk_are_refused_naming_the_file() throws IOException {
        GgufMutator mutator = new GgufMutator(base("lora-adapter"));
        int refused = 0;
        for (long seed = 0; seed < 300; seed++) {
            GgufMutator.Mutation m = mutator.mutate(seed);
            Path file = tmp.resolve("m" + seed + ".gguf");
            Files.write(file, m.bytes());
            String context = "seed " + seed + " (" + m.description() + ")";
            try {
                GgufFile g = GgufFile.open(file);
                for (GgufTensor t : g.tensors().values()) {
                    g.readFloats(t.name());
                }
            } catch (AdapterFormatException e) {
                assertThat(e.getMessage()).as(context).startsWith(file + ": ").doesNotContain("\n");
                refused++;
            }
            Files.delete(file);
        }
        assertThat(refused).isGreaterThan(150);
    }

    @Test
    void the_bases_are_valid_and_the_self_made_one_holds_every_value_type_and_eleven_tensor_types()
            throws IOException {
        for (String b : List.of("self-made", "lora-adapter", "q4_0-subset")) {
            assertThat(check(base(b), b, false)).as(b).isTrue();
        }
        GgufFile g = GgufFile.parse(ByteBuffer.wrap(selfMade()), NAME);
        assertThat(g.tensors().values().stream().map(GgufTensor::type).distinct()).hasSize(11);
        assertThat(IntStream.range(0, GgufValueType.values().length)
                        .mapToObj(i -> GgufValueType.values()[i])
                        .filter(t -> g.metadata().keySet().stream()
                                .anyMatch(k -> g.valueType(k).orElseThrow() == t
                                        || g.arrayType(k).orElse(null) == t)))
                .containsExactly(GgufValueType.values());
        assertThat(new GgufMutator(selfMade()).slots())
                .extracting(GgufMutator.Slot::field)
                .contains(GgufMutator.Field.values());
    }

    /**
     * @return true when read correctly, false when refused
     */
    private static boolean check(byte[] bytes, String context, boolean measure) {
        long before = measure ? allocatedBytes() : -1;
        try {
            GgufFile g = GgufFile.parse(ByteBuffer.wrap(bytes), NAME);
            long covered = 0;
            for (GgufTensor t : g.tensors().values()) {
                assertThat(t.absoluteOffset() + t.byteLength())
                        .as(context)
                        .isLessThanOrEqualTo(bytes.length);
                assertThat((long) g.rawBytes(t.name()).remaining()).isEqualTo(t.byteLength());
                covered += t.byteLength();
                if (t.type().isDecodable()) {
                    assertThat((long) g.readFloats(t.name()).length)
                            .as(context)
                            .isEqualTo(t.numel());
                }
            }
            assertThat(covered).as(context).isLessThanOrEqualTo(bytes.length - g.dataOffset());
            assertAllocationWithinBudget(before, bytes.length, context);
            return true;
        } catch (AdapterFormatException e) {
            String message = String.valueOf(e.getMessage());
            assertThat(message).as(context).startsWith(NAME + ": ");
            assertThat(message).as(context + ": one line").doesNotContain("\n", "\r");
            assertThat(message.length()).as(context + ": " + message).isLessThan(600);
            assertAllocationWithinBudget(before, bytes.length, context);
            return false;
        } catch (RuntimeException | Error e) {
            if (e instanceof AssertionError a) {
                throw a;
            }
            throw new AssertionError(context + ": unexpected " + e, e);
        } catch (IOException e) {
            throw new AssertionError(context + ": unexpected " + e, e);
        }
    }

    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx) {
            return mx.getCurrentThreadAllocatedBytes();
        }
        throw new IllegalStateException("no per-thread allocation counter in this JVM");
    }

    private static void assertAllocationWithinBudget(long before, int fileLength, String context) {
        if (before < 0) {
            return;
        }
        long used = allocatedBytes() - before;
        assertThat(used)
                .as("%s: allocated %d bytes for a file of %d", context, used, fileLength)
                .isLessThanOrEqualTo(allocationBudget(fileLength));
    }

    /** A valid file with every metadata value type (arrays too) and eleven tensor types. */
    static byte[] selfMade() {
        Random rnd = new Random(42);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValueType.STRING, "llama");
        w.put("general.alignment", GgufValueType.UINT32, 64L);
        w.put("u8", GgufValueType.UINT8, 200L);
        w.put("i8", GgufValueType.INT8, -3L);
        w.put("u16", GgufValueType.UINT16, 60000L);
        w.put("i16", GgufValueType.INT16, -300L);
        w.put("u32", GgufValueType.UINT32, 4_000_000_000L);
        w.put("i32", GgufValueType.INT32, -5L);
        w.put("f32", GgufValueType.FLOAT32, 16.0);
        w.put("bool", GgufValueType.BOOL, true);
        w.put("u64", GgufValueType.UINT64, 1L << 40);
        w.put("i64", GgufValueType.INT64, -(1L << 40));
        w.put("f64", GgufValueType.FLOAT64, 1e-5);
        w.putArray("tokens", GgufValueType.STRING, List.of("<unk>", "<s>", "</s>", "▁a", "b"));
        w.putArray("scores", GgufValueType.FLOAT32, List.of(0.0, -1.5, 2.25));
        w.putArray("bytes", GgufValueType.UINT8, List.of(1L, 2L, 255L));
        w.putArray("flags", GgufValueType.BOOL, List.of(true, false));
        for (GgmlType t :
                List.of(
                        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1,
                        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q4_K,
                        GgmlType.Q6_K)) {
            long[] ne = {t.blockSize() == 1 ? 8 : t.blockSize(), 2};
            byte[] data = new byte[(int) t.byteLength(ne[0] * ne[1])];
            rnd.nextBytes(data);
            // finite f16 scales: NaN/Inf would still decode, but keep the base ordinary
            for (int i = 1; i < data.length; i += 2) {
                data[i] &= 0x3B;
            }
            w.tensor("t." + t.name().toLowerCase(java.util.Locale.ROOT), t, ne, data);
        }
        return w.toBytes();
    }
}
