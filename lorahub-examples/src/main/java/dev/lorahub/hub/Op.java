package dev.lorahub.hub;

/**
 * One string operation, the skill a task is built from. Operations belong to a {@link Slot}; a
 * pipeline applies at most one operation per slot, in slot order (filter, order, map, duplicate).
 * Distractors stand alone.
 *
 * <p>Inputs are lowercase ASCII letters; every operation keeps outputs in {@code [a-z0-9]}.
 */
public enum Op {
    /** Drops the vowels a, e, i, o, u: {@code "banana" -> "bnn"}. */
    DROP_VOWELS("dv", Slot.FILTER),
    /** Reverses: {@code "abc" -> "cba"}. */
    REVERSE("rev", Slot.ORDER),
    /** Rotates left by one: {@code "abcd" -> "bcda"}. */
    ROTATE_LEFT("rotl", Slot.ORDER),
    /** Rotates right by one: {@code "abcd" -> "dabc"}. */
    ROTATE_RIGHT("rotr", Slot.ORDER),
    /** Swaps adjacent pairs, a trailing odd character stays: {@code "abcde" -> "badce"}. */
    SWAP_PAIRS("swap", Slot.ORDER),
    /** Mirrors the alphabet (atbash): {@code a<->z, b<->y}: {@code "abc" -> "zyx"}. */
    MIRROR("atb", Slot.MAP),
    /** Caesar shift by one: {@code "abz" -> "bca"}. */
    SHIFT_1("sh1", Slot.MAP),
    /** Caesar shift by two: {@code "abz" -> "cdb"}. */
    SHIFT_2("sh2", Slot.MAP),
    /** Caesar shift by three: {@code "abz" -> "dec"}. */
    SHIFT_3("sh3", Slot.MAP),
    /** Duplicates each character: {@code "abc" -> "aabbcc"}. */
    DUPLICATE("dup", Slot.DUPLICATE),
    /** Distractor: the length as decimal digits: {@code "abcde" -> "5"}. */
    LENGTH("len", Slot.DISTRACTOR),
    /** Distractor: the number of vowels: {@code "banana" -> "3"}. */
    COUNT_VOWELS("cntv", Slot.DISTRACTOR),
    /** Distractor: the first three characters: {@code "abcde" -> "abc"}. */
    FIRST_3("f3", Slot.DISTRACTOR),
    /** Distractor: the last three characters: {@code "abcde" -> "cde"}. */
    LAST_3("l3", Slot.DISTRACTOR);

    /** Where an operation sits in a pipeline. */
    public enum Slot {
        /** Removes characters. */
        FILTER,
        /** Permutes positions. */
        ORDER,
        /** Maps each character to another. */
        MAP,
        /** Changes the length by repeating. */
        DUPLICATE,
        /** A task of its own that never composes. */
        DISTRACTOR
    }

    private final String code;
    private final Slot slot;

    Op(String code, Slot slot) {
        this.code = code;
        this.slot = slot;
    }

    /**
     * @return the short name used in task names and instruction tokens, e.g. {@code rev}
     */
    public String code() {
        return code;
    }

    /**
     * @return the slot
     */
    public Slot slot() {
        return slot;
    }

    /**
     * @param code a short name such as {@code sh2}
     * @return the operation
     * @throws IllegalArgumentException if no operation has that code
     */
    public static Op byCode(String code) {
        for (Op op : values()) {
            if (op.code.equals(code)) {
                return op;
            }
        }
        throw new IllegalArgumentException("unknown operation '" + code + "'");
    }

    /**
     * @param s lowercase letters
     * @return the operation applied to {@code s}
     */
    public String apply(String s) {
        int n = s.length();
        StringBuilder b = new StringBuilder(Math.max(n * 2, 1));
        switch (this) {
            case DROP_VOWELS -> s.chars().filter(c -> !isVowel(c)).forEach(c -> b.append((char) c));
            case REVERSE -> b.append(s).reverse();
            case ROTATE_LEFT -> b.append(n == 0 ? "" : s.substring(1) + s.charAt(0));
            case ROTATE_RIGHT -> b.append(n == 0 ? "" : s.charAt(n - 1) + s.substring(0, n - 1));
            case SWAP_PAIRS -> {
                for (int i = 0; i + 1 < n; i += 2) {
                    b.append(s.charAt(i + 1)).append(s.charAt(i));
                }
                if (n % 2 == 1) {
                    b.append(s.charAt(n - 1));
                }
            }
            case MIRROR -> s.chars().forEach(c -> b.append(letter(25 - (c - 'a'))));
            case SHIFT_1 -> s.chars().forEach(c -> b.append(letter(c - 'a' + 1)));
            case SHIFT_2 -> s.chars().forEach(c -> b.append(letter(c - 'a' + 2)));
            case SHIFT_3 -> s.chars().forEach(c -> b.append(letter(c - 'a' + 3)));
            case DUPLICATE -> s.chars().forEach(c -> b.append((char) c).append((char) c));
            case LENGTH -> b.append(n);
            case COUNT_VOWELS -> b.append(s.chars().filter(Op::isVowel).count());
            case FIRST_3 -> b.append(s, 0, Math.min(3, n));
            case LAST_3 -> b.append(s, Math.max(0, n - 3), n);
            default -> throw new AssertionError(this);
        }
        return b.toString();
    }

    private static boolean isVowel(int c) {
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    }

    private static char letter(int index) {
        return (char) ('a' + Math.floorMod(index, 26));
    }
}
