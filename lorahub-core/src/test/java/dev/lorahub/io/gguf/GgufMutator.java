package dev.lorahub.io.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded corruptions of a valid GGUF file, aimed at its fields: the file is walked once (by this
 * class, independently of {@link GgufParser}) to find where every length, count, type, dimension
 * and offset lies, and each mutation rewrites one or two of them, or damages bytes at random.
 * Kinds, one per seed in turn: absurd key/string/array lengths; counts past the end of the file
 * (tensor, metadata and dimension counts, truncation); misaligned or overlapping tensor offsets;
 * dimensions whose product overflows; unknown value, element and ggml types; random byte damage.
 */
final class GgufMutator {
    /** What a field is, for choosing mutations. */
    enum Field {
        TENSOR_COUNT,
        KV_COUNT,
        KEY_LENGTH,
        VALUE_TYPE,
        STRING_LENGTH,
        ELEMENT_TYPE,
        ARRAY_COUNT,
        NAME_LENGTH,
        DIM_COUNT,
        DIM,
        GGML_TYPE,
        OFFSET
    }

    /** The kinds of mutation, in the order seeds cycle through them. */
    enum Kind {
        ABSURD_LENGTH,
        COUNT_PAST_EOF,
        BAD_OFFSET,
        OVERFLOWING_DIMS,
        UNKNOWN_TYPE,
        RANDOM_BYTES
    }

    record Slot(Field field, int at, int width) {}

    record Mutation(Kind kind, byte[] bytes, String description) {}

    private final byte[] original;
    private final List<Slot> slots = new ArrayList<>();
    private final long alignment;

    GgufMutator(byte[] original) {
        this.original = original.clone();
        this.alignment = walk();
    }

    List<Slot> slots() {
        return List.copyOf(slots);
    }

    Mutation mutate(long seed) {
        Random rnd = new Random(seed);
        Kind kind = Kind.values()[(int) Math.floorMod(seed, Kind.values().length)];
        byte[] b = original.clone();
        StringBuilder what = new StringBuilder(kind.toString());
        b = apply(kind, b, rnd, what);
        if (rnd.nextInt(10) == 0) {
            Kind second = Kind.values()[rnd.nextInt(Kind.values().length)];
            what.append(" + ").append(second);
            b = apply(second, b, rnd, what);
        }
        return new Mutation(kind, b, what.toString());
    }

    private byte[] apply(Kind kind, byte[] b, Random rnd, StringBuilder what) {
        switch (kind) {
            case ABSURD_LENGTH -> {
                Slot s = pick(rnd, Field.KEY_LENGTH, Field.STRING_LENGTH, Field.NAME_LENGTH,
                        Field.ARRAY_COUNT);
                long v = absurd(rnd, b.length, s.at());
                put(b, s, v, what);
            }
            case COUNT_PAST_EOF -> {
                int choice = rnd.nextInt(4);
                if (choice == 3) {
                    int cut = rnd.nextInt(b.length);
                    what.append(" truncated to ").append(cut);
                    return Arrays.copyOf(b, cut);
                }
                Slot s =
                        choice == 0
                                ? pick(rnd, Field.TENSOR_COUNT, Field.KV_COUNT)
                                : pick(rnd, Field.DIM_COUNT, Field.ARRAY_COUNT, Field.KV_COUNT);
                long old = get(b, s);
                long v =
                        switch (rnd.nextInt(5)) {
                            case 0 -> old + 1;
                            case 1 -> old + 1 + rnd.nextInt(1000);
                            case 2 -> s.width() == 4 ? 0xFFFF_FFFFL : Long.MAX_VALUE;
                            case 3 -> -1L;
                            default -> old + b.length;
                        };
                put(b, s, v, what);
            }
            case BAD_OFFSET -> {
                Slot s = pick(rnd, Field.OFFSET);
                long old = get(b, s);
                long v =
                        switch (rnd.nextInt(7)) {
                            case 0 -> old + 1;
                            case 1 -> old - 1;
                            case 2 -> old + alignment;
                            case 3 -> old - alignment;
                            case 4 -> 0;
                            case 5 -> old + b.length;
                            default -> rnd.nextLong();
                        };
                put(b, s, v, what);
            }
            case OVERFLOWING_DIMS -> {
                List<Slot> dims = all(Field.DIM);
                if (dims.isEmpty()) {
                    return apply(Kind.RANDOM_BYTES, b, rnd, what);
                }
                int n = 1 + rnd.nextInt(Math.min(4, dims.size()));
                int first = rnd.nextInt(dims.size());
                for (int i = 0; i < n; i++) {
                    Slot s = dims.get((first + i) % dims.size());
                    long v =
                            switch (rnd.nextInt(6)) {
                                case 0 -> 1L << 32;
                                case 1 -> 1L << 62;
                                case 2 -> Long.MAX_VALUE;
                                case 3 -> -1L;
                                case 4 -> (1L << 21) + rnd.nextInt(1 << 20);
                                default -> get(b, s) * (1L << (1 + rnd.nextInt(40)));
                            };
                    put(b, s, v, what);
                }
            }
            case UNKNOWN_TYPE -> {
                Slot s = pick(rnd, Field.GGML_TYPE, Field.VALUE_TYPE, Field.ELEMENT_TYPE);
                long v =
                        switch (rnd.nextInt(5)) {
                            case 0 -> new long[] {4, 5, 31, 32, 33, 36, 37, 38}[rnd.nextInt(8)];
                            case 1 -> 13 + rnd.nextInt(40);
                            case 2 -> 0xFFFF_FFFFL;
                            case 3 -> rnd.nextInt() & 0xFFFF_FFFFL;
                            // a valid type of another size: misreads everything after it
                            default -> rnd.nextInt(s.field() == Field.GGML_TYPE ? 40 : 13);
                        };
                put(b, s, v, what);
            }
            case RANDOM_BYTES -> {
                if (b.length == 0) {
                    return b;
                }
                int n = 1 + rnd.nextInt(8);
                for (int i = 0; i < n; i++) {
                    int at = rnd.nextInt(b.length);
                    b[at] = (byte) rnd.nextInt(256);
                }
                what.append(' ').append(n).append(" bytes");
                if (rnd.nextInt(4) == 0) {
                    int at = rnd.nextInt(b.length);
                    int len = 1 + rnd.nextInt(Math.min(64, b.length - at));
                    byte[] shorter = new byte[b.length - len];
                    System.arraycopy(b, 0, shorter, 0, at);
                    System.arraycopy(b, at + len, shorter, at, b.length - at - len);
                    what.append(", ").append(len).append(" deleted at ").append(at);
                    return shorter;
                }
            }
            default -> throw new IllegalStateException(kind.toString());
        }
        return b;
    }

    private static long absurd(Random rnd, int fileLength, int at) {
        return switch (rnd.nextInt(7)) {
            case 0 -> Long.MAX_VALUE;
            case 1 -> -1L;
            case 2 -> 1L << 32;
            case 3 -> Integer.MAX_VALUE;
            case 4 -> fileLength;
            case 5 -> fileLength - at - 8 + 1 + rnd.nextInt(16); // just past the end
            default -> rnd.nextLong();
        };
    }

    private Slot pick(Random rnd, Field... fields) {
        List<Slot> candidates = new ArrayList<>();
        for (Field f : fields) {
            candidates.addAll(all(f));
        }
        return candidates.get(rnd.nextInt(candidates.size()));
    }

    private List<Slot> all(Field f) {
        List<Slot> out = new ArrayList<>();
        for (Slot s : slots) {
            if (s.field() == f) {
                out.add(s);
            }
        }
        return out;
    }

    private static long get(byte[] b, Slot s) {
        if (s.at() + s.width() > b.length) {
            return 0; // cut off by an earlier mutation
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        return s.width() == 8 ? bb.getLong(s.at()) : bb.getInt(s.at()) & 0xFFFF_FFFFL;
    }

    private static void put(byte[] b, Slot s, long v, StringBuilder what) {
        if (s.at() + s.width() > b.length) {
            what.append(' ').append(s.field()).append('@').append(s.at()).append(" cut off");
            return;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (s.width() == 8) {
            bb.putLong(s.at(), v);
        } else {
            bb.putInt(s.at(), (int) v);
        }
        what.append(' ')
                .append(s.field())
                .append('@')
                .append(s.at())
                .append('=')
                .append(s.width() == 8 ? Long.toUnsignedString(v) : Long.toString(v & 0xFFFF_FFFFL));
    }

    /** Finds every field of the (valid) original; returns the alignment. */
    private long walk() {
        ByteBuffer b = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        slots.add(new Slot(Field.TENSOR_COUNT, 8, 8));
        slots.add(new Slot(Field.KV_COUNT, 16, 8));
        long nTensors = b.getLong(8);
        long nKv = b.getLong(16);
        b.position(24);
        long align = GgufFile.DEFAULT_ALIGNMENT;
        for (long i = 0; i < nKv; i++) {
            String key = string(b, Field.KEY_LENGTH);
            slots.add(new Slot(Field.VALUE_TYPE, b.position(), 4));
            int type = b.getInt();
            if (type == GgufValueType.ARRAY.id()) {
                slots.add(new Slot(Field.ELEMENT_TYPE, b.position(), 4));
                int elem = b.getInt();
                slots.add(new Slot(Field.ARRAY_COUNT, b.position(), 8));
                long n = b.getLong();
                for (long k = 0; k < n; k++) {
                    skipValue(b, elem);
                }
            } else {
                if (key.equals("general.alignment")) {
                    align = b.getInt(b.position()) & 0xFFFF_FFFFL;
                }
                skipValue(b, type);
            }
        }
        for (long i = 0; i < nTensors; i++) {
            string(b, Field.NAME_LENGTH);
            slots.add(new Slot(Field.DIM_COUNT, b.position(), 4));
            int nDims = b.getInt();
            for (int d = 0; d < nDims; d++) {
                slots.add(new Slot(Field.DIM, b.position(), 8));
                b.getLong();
            }
            slots.add(new Slot(Field.GGML_TYPE, b.position(), 4));
            b.getInt();
            slots.add(new Slot(Field.OFFSET, b.position(), 8));
            b.getLong();
        }
        return align;
    }

    private String string(ByteBuffer b, Field field) {
        slots.add(new Slot(field, b.position(), 8));
        int n = (int) b.getLong();
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private void skipValue(ByteBuffer b, int type) {
        GgufValueType t = GgufValueType.ofId(type).orElseThrow();
        if (t == GgufValueType.STRING) {
            string(b, Field.STRING_LENGTH);
        } else {
            b.position(b.position() + t.minBytes());
        }
    }
}
