package dev.lorahub.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assertions;

/**
 * Hostile variants of a valid JSON (or JSON Lines) file, for the fuzz tests of every JSON reader:
 * a value of the wrong type, a huge number, a 10^6-character string, deep nesting, invalid UTF-8,
 * flipped bytes, truncation, a deleted key, trailing garbage. Deterministic for a seed.
 *
 * <p>{@link Tally#check} runs a reader on one variant with a timeout and accepts two outcomes: it
 * reads the file, or it throws the reader's typed exception with a one-line message that starts
 * with the file and stays short. Anything else (another exception, an {@link Error}, a hang) fails
 * with the seed and the kind of mutation. A trailing-garbage variant (the valid document, optional
 * whitespace, then anything else: a second document, a stray bracket, a NUL) must be refused, and
 * its message must say {@value #TRAILING_MESSAGE} ({@code dev.lorahub.io.StrictJson}), as
 * Python's {@code json.load} ("Extra data") and serde_json refuse it.
 */
public final class JsonMutator {
    /** What every reader's refusal of trailing garbage says. */
    public static final String TRAILING_MESSAGE = "content after the JSON value";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOLE = "\u0000hole\u0000";

    /** The kinds of mutation, in the order {@link #mutate} draws them. */
    public static final List<String> KINDS =
            List.of(
                    "wrong type",
                    "huge number",
                    "long string",
                    "deep nesting",
                    "invalid UTF-8",
                    "flipped bytes",
                    "truncated",
                    "deleted key",
                    "trailing garbage");

    private static final List<String> WRONG_VALUES =
            List.of(
                    "\"abc\"",
                    "\"\"",
                    "true",
                    "false",
                    "null",
                    "[]",
                    "{}",
                    "[1,2,3]",
                    "{\"a\":1}",
                    "0",
                    "-1",
                    "1.5",
                    "-0.0",
                    "2147483648",
                    "-2147483649",
                    "9223372036854775808",
                    "123456789012345678901234567890",
                    "1e308",
                    "-1e308",
                    "1e999",
                    "4.9e-324");

    private static final int[][] BAD_UTF8 = {
        {0xFF}, {0xFE}, {0x80}, {0xC0, 0xAF}, {0xE2, 0x82}, {0xED, 0xA0, 0x80}, {0xF4, 0x90, 0x80, 0x80}
    };

    private JsonMutator() {}

    /** Appended after optional whitespace by the "trailing garbage" kind. */
    private static final List<String> TAILS =
            List.of("}", "{", "]", "x", "{\"a\":1}", "\u0000", "1", "null", "\"s\"", "//", ",");

    /** Put before a tail: nothing, or JSON whitespace (which alone must be read). */
    private static final List<String> SPACES = List.of("", " ", "\n", "\r\n", "\n\n\t ");

    /** Within one line of JSON Lines: a line break would start the next line, not trail this one. */
    private static final List<String> LINE_SPACES = List.of("", " ", "\t", " \t ");

    /**
     * One mutant.
     *
     * @param kind one of {@link #KINDS}
     * @param bytes the file's new content
     */
    public record Mutant(String kind, byte[] bytes) {
        /**
         * @return whether every reader must refuse it: content after the JSON value
         */
        public boolean mustBeRefused() {
            return kind.equals("trailing garbage");
        }
    }

    /**
     * @param valid a valid JSON document, or JSON Lines (one object per line) when {@code lines}
     * @param lines whether it is JSON Lines: then one line is mutated
     * @param seed the seed
     * @return a hostile variant
     */
    public static Mutant mutate(byte[] valid, boolean lines, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        String kind = KINDS.get(rnd.nextInt(KINDS.size()));
        if (!lines) {
            return new Mutant(kind, mutateDocument(valid, kind, rnd, SPACES));
        }
        List<String> all =
                new ArrayList<>(
                        Arrays.asList(new String(valid, StandardCharsets.UTF_8).split("\n", -1)));
        int i = rnd.nextInt(Math.max(1, all.size() - 1)); // the last split is the empty tail
        byte[] line =
                mutateDocument(all.get(i).getBytes(StandardCharsets.UTF_8), kind, rnd, LINE_SPACES);
        byte[] before = String.join("\n", all.subList(0, i)).getBytes(StandardCharsets.UTF_8);
        byte[] after =
                String.join("\n", all.subList(i + 1, all.size())).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[before.length + line.length + after.length + 2];
        int at = 0;
        System.arraycopy(before, 0, out, at, before.length);
        at += before.length;
        if (i > 0) {
            out[at++] = '\n';
        }
        System.arraycopy(line, 0, out, at, line.length);
        at += line.length;
        out[at++] = '\n';
        System.arraycopy(after, 0, out, at, after.length);
        at += after.length;
        return new Mutant(kind, Arrays.copyOf(out, at));
    }

    private static byte[] mutateDocument(
            byte[] valid, String kind, SplittableRandom rnd, List<String> spaces) {
        switch (kind) {
            case "wrong type":
                return replaceValue(valid, WRONG_VALUES.get(rnd.nextInt(WRONG_VALUES.size())), rnd);
            case "huge number":
                return replaceValue(
                        valid,
                        rnd.nextBoolean() ? "9".repeat(100_000) : "1e" + "9".repeat(1 + rnd.nextInt(6)),
                        rnd);
            case "long string":
                return replaceValue(valid, "\"" + "a".repeat(1_000_000) + "\"", rnd);
            case "deep nesting":
                {
                    int depth = List.of(600, 10_000, 100_000).get(rnd.nextInt(3));
                    return replaceValue(valid, "[".repeat(depth) + "]".repeat(depth), rnd);
                }
            case "invalid UTF-8":
                {
                    int[] bad = BAD_UTF8[rnd.nextInt(BAD_UTF8.length)];
                    int at = rnd.nextInt(valid.length + 1);
                    byte[] out = new byte[valid.length + bad.length];
                    System.arraycopy(valid, 0, out, 0, at);
                    for (int k = 0; k < bad.length; k++) {
                        out[at + k] = (byte) bad[k];
                    }
                    System.arraycopy(valid, at, out, at + bad.length, valid.length - at);
                    return out;
                }
            case "flipped bytes":
                {
                    byte[] out = valid.clone();
                    int n = 1 + rnd.nextInt(4);
                    for (int k = 0; k < n && out.length > 0; k++) {
                        out[rnd.nextInt(out.length)] = (byte) rnd.nextInt(256);
                    }
                    return out;
                }
            case "truncated":
                return Arrays.copyOf(valid, rnd.nextInt(Math.max(1, valid.length)));
            case "deleted key":
                return deleteKey(valid, rnd);
            case "trailing garbage":
                {
                    String tail =
                            spaces.get(rnd.nextInt(spaces.size()))
                                    + TAILS.get(rnd.nextInt(TAILS.size()));
                    byte[] t = tail.getBytes(StandardCharsets.UTF_8);
                    byte[] out = Arrays.copyOf(valid, valid.length + t.length);
                    System.arraycopy(t, 0, out, valid.length, t.length);
                    return out;
                }
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    /** Every (container, key or index) in the tree, depth first. */
    private static void holes(JsonNode n, List<Object[]> out) {
        if (n instanceof ObjectNode o) {
            o.fieldNames().forEachRemaining(f -> out.add(new Object[] {o, f}));
        } else if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                out.add(new Object[] {a, i});
            }
        }
        n.elements().forEachRemaining(c -> holes(c, out));
    }

    private static JsonNode parse(byte[] valid) {
        try {
            return JSON.readTree(valid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The document with one value (any depth) replaced by a raw JSON token. */
    private static byte[] replaceValue(byte[] valid, String raw, SplittableRandom rnd) {
        JsonNode root = parse(valid);
        List<Object[]> holes = new ArrayList<>();
        holes(root, holes);
        if (holes.isEmpty()) {
            return raw.getBytes(StandardCharsets.UTF_8);
        }
        Object[] h = holes.get(rnd.nextInt(holes.size()));
        if (h[0] instanceof ObjectNode o) {
            o.put((String) h[1], HOLE);
        } else {
            ((ArrayNode) h[0]).set((Integer) h[1], HOLE);
        }
        String text = root.toString().replace(JSON.valueToTree(HOLE).toString(), raw);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] deleteKey(byte[] valid, SplittableRandom rnd) {
        JsonNode root = parse(valid);
        List<Object[]> holes = new ArrayList<>();
        holes(root, holes);
        holes.removeIf(h -> !(h[0] instanceof ObjectNode));
        if (!holes.isEmpty()) {
            Object[] h = holes.get(rnd.nextInt(holes.size()));
            ((ObjectNode) h[0]).remove((String) h[1]);
        }
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Outcomes over many mutants: read or refused, by kind; printed as a test's figures. */
    public static final class Tally {
        private final Map<String, int[]> byKind = new TreeMap<>();
        private final AtomicInteger cases = new AtomicInteger();
        private final List<String> failures = new ArrayList<>();
        private int failed;

        /**
         * Writes the mutant to {@code file} and runs {@code read} on it; a failure is recorded for
         * {@link #assertNoFailures()}.
         *
         * @param file where the reader reads
         * @param m the mutant
         * @param seed its seed, for the failure message
         * @param refusal the reader's typed exception
         * @param read the reader
         * @throws IOException if the file cannot be written
         */
        public void check(
                Path file,
                Mutant m,
                long seed,
                Class<? extends Exception> refusal,
                Callable<?> read)
                throws IOException {
            try {
                checkOne(file, m, seed, refusal, read);
            } catch (AssertionError e) {
                if (failures.size() < 10) {
                    failures.add(e.getMessage().replaceAll("\\s+", " "));
                }
                failed++;
            }
        }

        private void checkOne(
                Path file,
                Mutant m,
                long seed,
                Class<? extends Exception> refusal,
                Callable<?> read)
                throws IOException {
            Files.write(file, m.bytes());
            cases.incrementAndGet();
            int[] counts = byKind.computeIfAbsent(m.kind(), k -> new int[2]);
            String what = "seed " + seed + ", " + m.kind();
            Throwable thrown =
                    Assertions.assertTimeoutPreemptively(
                            Duration.ofSeconds(20),
                            () -> {
                                try {
                                    read.call();
                                    return null;
                                } catch (Throwable t) {
                                    return t;
                                }
                            },
                            what + ": no answer within 20 s");
            if (thrown == null) {
                if (m.mustBeRefused()) {
                    throw new AssertionError(what + ": read, with content after the JSON value");
                }
                counts[0]++;
                return;
            }
            if (!refusal.isInstance(thrown)) {
                throw new AssertionError(what + ": threw " + thrown, thrown);
            }
            String msg = String.valueOf(thrown.getMessage());
            assertThat(msg).as(what).startsWith(file.toString()).doesNotContain("\n", "\r");
            if (m.mustBeRefused()) {
                assertThat(msg).as(what).contains(TRAILING_MESSAGE);
            }
            assertThat(msg.length()).as(what + ": " + msg.substring(0, Math.min(300, msg.length()))).isLessThanOrEqualTo(400);
            counts[1]++;
        }

        /**
         * Fails listing the first ten mutants that were neither read nor refused properly (with
         * their seeds), and how many there were.
         */
        public void assertNoFailures() {
            if (failed > 0) {
                throw new AssertionError(
                        failed + " of " + cases() + " mutants failed, first: " + String.join(" || ", failures));
            }
        }

        /**
         * @return the number of mutants checked
         */
        public int cases() {
            return cases.get();
        }

        /**
         * @return the number refused, over all kinds
         */
        public int refused() {
            return byKind.values().stream().mapToInt(c -> c[1]).sum();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(cases()).append(" mutants, ").append(refused()).append(" refused in one line:");
            byKind.forEach(
                    (k, c) ->
                            sb.append(' ')
                                    .append(k)
                                    .append(' ')
                                    .append(c[1])
                                    .append('/')
                                    .append(c[0] + c[1])
                                    .append(';'));
            return sb.toString();
        }
    }
}
