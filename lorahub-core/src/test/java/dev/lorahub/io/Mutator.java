package dev.lorahub.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded corruptions of a valid safetensors file: bit flips, truncations, appended bytes, and
 * header edits (numbers replaced by huge, negative, fractional or near-Long.MAX values; dtypes
 * swapped; shapes of 10^12 elements; characters deleted or inserted; N rewritten or not).
 */
final class Mutator {
    /** A corrupted file and how it was made. */
    record Mutation(String description, byte[] bytes) {}

    private static final Pattern NUMBER = Pattern.compile("-?\\d+");
    private static final Pattern DTYPE = Pattern.compile("\"dtype\":\"([A-Z0-9_]+)\"");
    private static final Pattern SHAPE = Pattern.compile("\"shape\":\\[[0-9,]*\\]");
    private static final Pattern OFFSETS = Pattern.compile("\"data_offsets\":\\[\\d+,\\d+\\]");
    private static final String[] NUMBERS = {
        "0",
        "1",
        "-1",
        "7",
        "1.5",
        "1e3",
        "4294967296",
        "1000000000000",
        "9223372036854775807",
        "9223372036854775800",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "2147483647",
        "2147483648",
        "00",
        "-0"
    };
    private static final String[] DTYPES = {
        "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
        "F64", "I64", "U64", "f32", "F128", "", "bf16", "F4"
    };
    private static final String[] SHAPES = {
        "[1000000,1000000]",
        "[1000000000000]",
        "[]",
        "[0]",
        "[4294967296,4294967296]",
        "[9223372036854775807]",
        "[3037000500,3037000500]",
        "[-1]",
        "[1,-1]",
        "[2.0]",
        "[1]",
        "[0,1000000000000]"
    };
    private static final String[] OFFSET_VALUES = {
        "[0,9223372036854775807]",
        "[9223372036854775800,9223372036854775807]",
        "[9223372036854775807,0]",
        "[0,0]",
        "[0,4000000000000]",
        "[4,0]",
        "[-8,0]",
        "[0,1.0]"
    };

    private final byte[] original;
    private final int headerLength;
    private final String header;

    Mutator(byte[] original) {
        this.original = original.clone();
        this.headerLength =
                (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        this.header = new String(original, 8, headerLength, StandardCharsets.UTF_8);
    }

    Mutation mutate(long seed) {
        Random rnd = new Random(seed);
        return switch (rnd.nextInt(11)) {
            case 0, 1 -> flipBits(rnd, false);
            case 2 -> flipBits(rnd, true);
            case 3 -> truncate(rnd);
            case 4 -> append(rnd);
            case 5 -> replace(rnd, NUMBER, NUMBERS);
            case 6 -> replace(rnd, DTYPE, DTYPES);
            case 7 -> replace(rnd, SHAPE, SHAPES);
            case 8 -> replace(rnd, OFFSETS, OFFSET_VALUES);
            case 9 -> editCharacters(rnd);
            default -> rewriteLength(rnd);
        };
    }

    private Mutation flipBits(Random rnd, boolean headerOnly) {
        byte[] b = original.clone();
        int flips = 1 + rnd.nextInt(8);
        int range = headerOnly ? 8 + headerLength : b.length;
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < flips; i++) {
            int pos = rnd.nextInt(range);
            int bit = rnd.nextInt(8);
            b[pos] ^= (byte) (1 << bit);
            where.append(pos).append('.').append(bit).append(' ');
        }
        return new Mutation("bit flips at " + where.toString().trim(), b);
    }

    private Mutation truncate(Random rnd) {
        int len =
                rnd.nextBoolean()
                        ? rnd.nextInt(original.length)
                        : original.length - 1 - rnd.nextInt(Math.min(16, original.length));
        return new Mutation("truncated to " + len, Arrays.copyOf(original, len));
    }

    private Mutation append(Random rnd) {
        int extra = 1 + rnd.nextInt(16);
        byte[] b = Arrays.copyOf(original, original.length + extra);
        for (int i = original.length; i < b.length; i++) {
            b[i] = (byte) rnd.nextInt(256);
        }
        return new Mutation("appended " + extra + " bytes", b);
    }

    private Mutation replace(Random rnd, Pattern pattern, String[] values) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = pattern.matcher(header);
        while (m.find()) {
            int group = m.groupCount() >= 1 ? 1 : 0;
            spans.add(new int[] {m.start(group), m.end(group)});
        }
        if (spans.isEmpty()) {
            return flipBits(rnd, true);
        }
        int[] span = spans.get(rnd.nextInt(spans.size()));
        String value = values[rnd.nextInt(values.length)];
        String edited = header.substring(0, span[0]) + value + header.substring(span[1]);
        return withHeader(
                rnd,
                edited,
                "replaced '"
                        + header.substring(span[0], span[1])
                        + "' at "
                        + span[0]
                        + " by '"
                        + value
                        + "'");
    }

    private Mutation editCharacters(Random rnd) {
        StringBuilder h = new StringBuilder(header);
        int edits = 1 + rnd.nextInt(3);
        String punct = "{}[],:\"\\ 0-.eé\u0000";
        for (int i = 0; i < edits && h.length() > 0; i++) {
            int pos = rnd.nextInt(h.length());
            if (rnd.nextBoolean()) {
                h.deleteCharAt(pos);
            } else {
                h.insert(pos, punct.charAt(rnd.nextInt(punct.length())));
            }
        }
        return withHeader(rnd, h.toString(), edits + " character edit(s)");
    }

    private Mutation rewriteLength(Random rnd) {
        long[] candidates = {
            0,
            1,
            7,
            headerLength - 1,
            headerLength + 1,
            headerLength + 8,
            original.length - 8,
            original.length,
            100_000_000,
            100_000_001,
            Long.MAX_VALUE,
            -1,
            1L << 32,
            rnd.nextInt(original.length)
        };
        long n = candidates[rnd.nextInt(candidates.length)];
        byte[] b = original.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
        return new Mutation("header length set to " + n, b);
    }

    /** The original data behind a new header, N rewritten (mostly) or left stale. */
    private Mutation withHeader(Random rnd, String newHeader, String what) {
        byte[] h = newHeader.getBytes(StandardCharsets.UTF_8);
        boolean fixLength = rnd.nextInt(10) < 8;
        int dataLength = original.length - 8 - headerLength;
        ByteBuffer b =
                ByteBuffer.allocate(8 + h.length + dataLength).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(fixLength ? h.length : headerLength).put(h);
        b.put(original, 8 + headerLength, dataLength);
        return new Mutation(what + (fixLength ? "" : " (stale N)"), b.array());
    }
}
