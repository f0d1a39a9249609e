package dev.lorahub.hub;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * A text-to-text task: a pipeline of {@link Op}s applied left to right to a random word of 3 to 6
 * lowercase letters. The empty pipeline is {@code copy}. A distractor stands alone.
 *
 * @param ops the pipeline, at most one operation per slot, in slot order
 */
public record Task(List<Op> ops) {
    /** Shortest input. */
    public static final int MIN_LENGTH = 3;

    /** Longest input. */
    public static final int MAX_LENGTH = 6;

    /** Validates the pipeline: slots strictly increasing, distractors alone. */
    public Task {
        ops = List.copyOf(ops);
        EnumSet<Op.Slot> seen = EnumSet.noneOf(Op.Slot.class);
        Op.Slot last = null;
        for (Op op : ops) {
            if (op.slot() == Op.Slot.DISTRACTOR && ops.size() > 1) {
                throw new IllegalArgumentException(
                        "distractor " + op + " must stand alone: " + ops);
            }
            if (!seen.add(op.slot()) || (last != null && op.slot().compareTo(last) < 0)) {
                throw new IllegalArgumentException(
                        "pipeline " + ops + " must have at most one op per slot, in slot order");
            }
            last = op.slot();
        }
    }

    /**
     * @param name a task name: operation codes joined by {@code _}, or {@code copy}
     * @return the task
     */
    public static Task parse(String name) {
        if (name.equals("copy")) {
            return new Task(List.of());
        }
        List<Op> ops = new ArrayList<>();
        for (String code : name.split("_")) {
            ops.add(Op.byCode(code));
        }
        return new Task(ops);
    }

    /**
     * @param ops the pipeline @return the task
     */
    public static Task of(Op... ops) {
        return new Task(List.of(ops));
    }

    /**
     * @return the name, e.g. {@code rev_sh2} or {@code copy}
     */
    public String name() {
        return ops.isEmpty() ? "copy" : ops.stream().map(Op::code).collect(Collectors.joining("_"));
    }

    /**
     * @param input lowercase letters
     * @return the pipeline applied
     */
    public String apply(String input) {
        String s = input;
        for (Op op : ops) {
            s = op.apply(s);
        }
        return s;
    }

    /**
     * Draws distinct examples deterministically: the same seed and count give the same list on
     * every JVM. Inputs whose output would be empty (a word of vowels under drop-vowels) and inputs
     * in {@code exclude} are skipped.
     *
     * @param seed the seed
     * @param count how many examples
     * @param exclude inputs not to use (e.g. the training inputs when drawing a test set)
     * @return {@code count} examples with distinct inputs
     */
    public List<TaskExample> examples(long seed, int count, Set<String> exclude) {
        Objects.requireNonNull(exclude, "exclude");
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name().hashCode());
        Set<String> inputs = new LinkedHashSet<>();
        List<TaskExample> out = new ArrayList<>(count);
        int attempts = 0;
        while (out.size() < count) {
            if (++attempts > count * 100 + 1000) {
                throw new IllegalStateException(
                        "task " + name() + ": cannot draw " + count + " distinct examples");
            }
            String input = randomWord(rnd);
            String output = apply(input);
            if (output.isEmpty() || exclude.contains(input) || !inputs.add(input)) {
                continue;
            }
            out.add(new TaskExample(input, output));
        }
        return out;
    }

    /**
     * @see #examples(long, int, Set)
     */
    public List<TaskExample> examples(long seed, int count) {
        return examples(seed, count, Set.of());
    }

    /**
     * @param rnd the random source
     * @return a word of {@link #MIN_LENGTH} to {@link #MAX_LENGTH} uniform lowercase letters
     */
    static String randomWord(SplittableRandom rnd) {
        int n = rnd.nextInt(MIN_LENGTH, MAX_LENGTH + 1);
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = (char) ('a' + rnd.nextInt(26));
        }
        return new String(c);
    }

    @Override
    public String toString() {
        return name();
    }
}
