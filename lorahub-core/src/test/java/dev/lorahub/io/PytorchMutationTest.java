package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded mutation test of {@link PytorchReader}: 12,000 corrupted copies of six pickles fixtures
 * (zip and legacy, float32 and float16, shared storages with a transposed view, pickle protocols 2
 * and 3). Mutations:
 * truncations, random bit flips (anywhere, or inside the pickle), integers of the pickle (sizes,
 * strides, offsets, element counts, memo indices) replaced by absurd values, storage keys renamed
 * to keys that do not exist, opcodes replaced, zip directory fields overwritten, legacy element
 * counts rewritten, bytes appended. Each file is read correctly (then every float tensor is read,
 * with no more elements than the file has bytes) or refused with {@link AdapterFormatException}
 * starting with the file: no other exception, a 10 s preemptive timeout per file, and the bytes the
 * reading thread allocates stay under {@code 64 * file length + 1 MiB}.
 */
class PytorchMutationTest {
    private static final int PER_BLOCK = 1000;
    private static final Duration PER_FILE = Duration.ofSeconds(10);
    private static final String[] BASES = {
        "pickles/llama/adapter_0/adapter_model.bin",
        "pickles/variants/llama_adapter_0_legacy_shared_storage/adapter_model.bin",
        "pickles/variants/llama_adapter_0_zip_shared_storage/adapter_model.bin",
        "pickles/variants/llama_adapter_0_legacy_fp16/adapter_model.bin",
        "pickles/protocols/p3/zip_shared_storage.bin",
        "pickles/protocols/p3/legacy_fp32.bin",
    };

    @TempDir static Path tmp;

    static Stream<Arguments> blocks() {
        return IntStream.range(0, 12).mapToObj(b -> Arguments.of(BASES[b % BASES.length], b));
    }

    @BeforeAll
    static void warm_up() throws IOException {
        byte[] bytes = Files.readAllBytes(TestData.require(BASES[0]));
        Path f = tmp.resolve("warm-up.bin");
        for (long seed = 0; seed < 200; seed++) {
            byte[] m = mutate(bytes, new Random(seed), new StringBuilder());
            assertTimeoutPreemptively(PER_FILE, () -> check(f, m, "warm-up", false));
        }
    }

    @ParameterizedTest(name = "{0} block {1}")
    @MethodSource("blocks")
    void corrupted_pickles_are_read_or_refused_without_crash_hang_or_allocation(
            String base, int block) throws IOException {
        byte[] original = Files.readAllBytes(TestData.require(base));
        Path file = tmp.resolve("mutant-" + block + ".bin");
        int refused = 0;
        for (int i = 0; i < PER_BLOCK; i++) {
            long seed = 1_000_003L * block + i;
            StringBuilder how = new StringBuilder();
            byte[] m = mutate(original, new Random(seed), how);
            String context = base + " seed " + seed + " (" + how + ")";
            boolean ok =
                    assertTimeoutPreemptively(
                            PER_FILE, () -> check(file, m, context, true), context + ": timed out");
            refused += ok ? 0 : 1;
        }
        // both outcomes occur, and the mutations mostly hit the format, or the test would prove little
        assertThat(refused).as(base + ": refused of " + PER_BLOCK).isBetween(PER_BLOCK / 3, PER_BLOCK - 1);
    }

    /** @return true when read, false when refused */
    private static boolean check(Path file, byte[] bytes, String context, boolean measure)
            throws IOException {
        Files.write(file, bytes);
        long before = measure ? allocatedBytes() : -1;
        try (PytorchReader r = PytorchReader.open(file)) {
            for (TensorEntry e : r.entries()) {
                if (e.dtype().isConvertibleToFloat32()) {
                    float[] v = r.readFloat32(e.name());
                    assertThat((long) v.length).as(context).isEqualTo(e.numel());
                    assertThat((long) v.length).as(context).isLessThanOrEqualTo(bytes.length / 2);
                }
            }
            budget(before, bytes.length, context);
            return true;
        } catch (AdapterFormatException e) {
            assertThat(e.getMessage()).as(context).startsWith(file + ": ");
            budget(before, bytes.length, context);
            return false;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(context + ": unexpected " + e, e);
        }
    }

    private static void budget(long before, int length, String context) {
        long after = allocatedBytes();
        if (before >= 0 && after >= 0) {
            assertThat(after - before)
                    .as(context + ": bytes allocated for a " + length + "-byte file")
                    .isLessThanOrEqualTo(64L * length + (1 << 20));
        }
    }

    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx) {
            return mx.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }

    private static final long[] ABSURD = {
        0, 1, -1, 255, 256, 65535, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 32,
        1_000_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE / 4 + 1
    };

    static byte[] mutate(byte[] original, Random rnd, StringBuilder how) {
        byte[] b = original.clone();
        int pklStart = indexOf(b, new byte[] {(byte) 0x80, 2, '}'}, 0);
        if (pklStart < 0) {
            pklStart = indexOf(b, new byte[] {(byte) 0x80, 3, '}'}, 0);
        }
        int pklEnd = Math.min(b.length, pklStart < 0 ? b.length : pklStart + 1400);
        if (pklStart < 0) {
            pklStart = 0;
        }
        int kind = rnd.nextInt(10);
        switch (kind) {
            case 0 -> {
                int n = rnd.nextInt(b.length);
                how.append("truncated to ").append(n);
                return Arrays.copyOf(b, n);
            }
            case 1 -> {
                int flips = 1 + rnd.nextInt(8);
                how.append(flips).append(" bit flips anywhere");
                for (int i = 0; i < flips; i++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 2 -> {
                int flips = 1 + rnd.nextInt(4);
                how.append(flips).append(" bit flips in the pickle");
                for (int i = 0; i < flips; i++) {
                    b[pklStart + rnd.nextInt(pklEnd - pklStart)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 3, 4 -> {
                // an integer operand of the pickle (BININT1 'K', BININT2 'M', BININT 'J', memo) made absurd
                int at = findOp(b, pklStart, pklEnd, rnd, "KMJhq");
                if (at < 0) {
                    return mutate(original, rnd, how);
                }
                long v = ABSURD[rnd.nextInt(ABSURD.length)];
                int width = b[at] == 'M' ? 2 : b[at] == 'J' ? 4 : 1;
                if (rnd.nextBoolean() && b[at] == 'K' && at + 5 < b.length) {
                    // widen BININT1 to BININT (shifts the rest by 3 bytes: a different stream)
                    byte[] out = new byte[b.length + 3];
                    System.arraycopy(b, 0, out, 0, at);
                    out[at] = 'J';
                    ByteBuffer.wrap(out, at + 1, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v);
                    System.arraycopy(b, at + 2, out, at + 5, b.length - at - 2);
                    how.append("BININT1 at ").append(at).append(" widened to BININT ").append((int) v);
                    return out;
                }
                for (int i = 0; i < width && at + 1 + i < b.length; i++) {
                    b[at + 1 + i] = (byte) (v >>> (8 * i));
                }
                how.append((char) b[at]).append(" operand at ").append(at).append(" = ").append(v);
            }
            case 5 -> {
                // a storage key renamed: BINUNICODE of one or two digits
                int at = -1;
                for (int tries = 0; tries < 50 && at < 0; tries++) {
                    int p = pklStart + rnd.nextInt(Math.max(1, pklEnd - pklStart - 6));
                    int q = indexOf(b, new byte[] {'X'}, p);
                    if (q >= 0 && q + 5 < b.length && b[q + 2] == 0 && b[q + 3] == 0 && b[q + 4] == 0
                            && b[q + 1] >= 1 && b[q + 1] <= 9 && Character.isDigit(b[q + 5])) {
                        at = q + 5;
                    }
                }
                if (at < 0) {
                    at = pklStart + rnd.nextInt(pklEnd - pklStart);
                }
                byte repl = (byte) "9x7/ .".charAt(rnd.nextInt(6));
                how.append("storage key byte at ").append(at).append(" -> '").append((char) repl).append("'");
                b[at] = repl;
            }
            case 6 -> {
                // an opcode replaced by another (allowed or not; protocols 3 to 5 included)
                int at = pklStart + rnd.nextInt(pklEnd - pklStart);
                String ops = "(.tNRQbcsuqhKMXJ)]}ae\u0085\u0086\u0087\u0088\u0089\u0093\u0094\u0095io0P2"
                        + "BC\u008c\u008d\u008e\u008f\u0090\u0091\u0092\u0096\u0097\u0098";
                byte op = (byte) ops.charAt(rnd.nextInt(ops.length()));
                how.append("byte at ").append(at).append(" -> opcode 0x").append(Integer.toHexString(op & 0xFF));
                b[at] = op;
            }
            case 7 -> {
                // zip directory / legacy tail: 4 or 8 bytes overwritten with an absurd value
                int tail = Math.min(b.length, 300);
                int at = b.length - tail + rnd.nextInt(tail);
                long v = ABSURD[rnd.nextInt(ABSURD.length)];
                int width = rnd.nextBoolean() ? 4 : 8;
                for (int i = 0; i < width && at + i < b.length; i++) {
                    b[at + i] = (byte) (v >>> (8 * i));
                }
                how.append(width).append(" tail bytes at ").append(at).append(" = ").append(v);
            }
            case 8 -> {
                // legacy element count / any 8-byte field after the pickles overwritten
                int at = pklEnd + rnd.nextInt(Math.max(1, b.length - pklEnd - 8));
                at = Math.min(at, b.length - 8);
                long v = ABSURD[rnd.nextInt(ABSURD.length)];
                ByteBuffer.wrap(b, at, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
                how.append("8 bytes after the pickle at ").append(at).append(" = ").append(v);
            }
            default -> {
                int n = 1 + rnd.nextInt(64);
                byte[] out = Arrays.copyOf(b, b.length + n);
                for (int i = b.length; i < out.length; i++) {
                    out[i] = (byte) rnd.nextInt(256);
                }
                how.append(n).append(" bytes appended");
                return out;
            }
        }
        return b;
    }

    private static int findOp(byte[] b, int from, int to, Random rnd, String ops) {
        for (int tries = 0; tries < 100; tries++) {
            int p = from + rnd.nextInt(Math.max(1, to - from));
            if (ops.indexOf(b[p]) >= 0) {
                return p;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] b, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i + pattern.length <= b.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (b[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
