package dev.lorahub;

/**
 * Which of the given modules a LoraHub run composes.
 *
 * <ul>
 *   <li>{@link #all()}: every module, in the given order (the default).
 *   <li>{@link #random(int)}: the reference's choice, {@code random.seed(seed); random.sample(pool,
 *       k)}, reproduced bit for bit: the run's seed drives a port of CPython's Mersenne Twister and
 *       of {@code random.sample}, so a pool listed in the same order yields the same k modules in
 *       the same order as the reference scripts.
 *   <li>{@link #lowestLoss(int)}: the k modules whose single-module loss on the examples (each
 *       module alone at weight 1) is lowest, ties broken by pool order; costs one forward pass per
 *       module before the search.
 * </ul>
 */
public sealed interface ModuleSelection
        permits ModuleSelection.All, ModuleSelection.Random, ModuleSelection.LowestLoss {

    /**
     * @return keep every module
     */
    static ModuleSelection all() {
        return new All();
    }

    /**
     * @param k how many modules to draw, at least 1 and at most the pool size
     * @return the reference's seeded random sample
     */
    static ModuleSelection random(int k) {
        return new Random(k);
    }

    /**
     * @param k how many modules to keep, at least 1 and at most the pool size
     * @return the k modules with the lowest single-module loss
     */
    static ModuleSelection lowestLoss(int k) {
        return new LowestLoss(k);
    }

    /**
     * Parses the CLI form: {@code all}, {@code random:K} or {@code lowest-loss:K}.
     *
     * @param text the text
     * @return the selection
     * @throws IllegalArgumentException naming the text when it is not one of those forms
     */
    static ModuleSelection parse(String text) {
        if (text.equals("all")) {
            return all();
        }
        int colon = text.indexOf(':');
        String kind = colon < 0 ? text : text.substring(0, colon);
        int k;
        try {
            k = colon < 0 ? -1 : Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            k = -1;
        }
        if (k >= 1 && kind.equals("random")) {
            return random(k);
        }
        if (k >= 1 && kind.equals("lowest-loss")) {
            return lowestLoss(k);
        }
        throw new IllegalArgumentException(
                "selection '" + text + "': expected all, random:K or lowest-loss:K with K >= 1");
    }

    /**
     * @return the CLI form, e.g. {@code random:20}
     */
    String describe();

    /** Every module. */
    record All() implements ModuleSelection {
        @Override
        public String describe() {
            return "all";
        }
    }

    /**
     * A seeded random sample as CPython's {@code random.sample}.
     *
     * @param k the sample size, at least 1
     */
    record Random(int k) implements ModuleSelection {
        /** Validates k. */
        public Random {
            if (k < 1) {
                throw new IllegalArgumentException("random selection needs k >= 1, got " + k);
            }
        }

        @Override
        public String describe() {
            return "random:" + k;
        }
    }

    /**
     * The k modules with the lowest single-module loss.
     *
     * @param k how many, at least 1
     */
    record LowestLoss(int k) implements ModuleSelection {
        /** Validates k. */
        public LowestLoss {
            if (k < 1) {
                throw new IllegalArgumentException("lowest-loss selection needs k >= 1, got " + k);
            }
        }

        @Override
        public String describe() {
            return "lowest-loss:" + k;
        }
    }
}
