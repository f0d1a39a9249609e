package dev.lorahub.djl;

import java.util.Locale;

/**
 * How a DJL base model evaluates an adapter's loss ({@code loss}, and {@code losses} one
 * candidate at a time).
 *
 * <p>Both give the same function of the input, {@code x (W + s B A)^T}, and differ by float
 * rounding only (the one rounds {@code W + s B A} to the weight's type, the other keeps {@code s B
 * A} apart); docs/scale.md gives the measured differences, the memory and the time of each.
 */
public enum AdapterMode {
    /**
     * {@code deltaW = s B A} is added into the targeted base weights and taken out again by copying
     * kept originals back ({@link InPlaceLora}): bit-exact, but one copy of every weight an adapter
     * has targeted stays in memory until the model is closed.
     */
    IN_PLACE,
    /**
     * Each targeted linear adds a side branch, {@code y = x W^T + (x A^T)(s B)^T} ({@link
     * CandidateBranches}): the base weights are never written and no copies are kept.
     */
    BRANCH,
    /**
     * Per loss, whichever of the two costs fewer operations for that adapter and batch: {@link
     * #BRANCH} when {@code tokens x (in + out)}, summed over the adapter's layers, is at most {@code
     * in x out} summed likewise (a branch's two rank-r products against building and undoing
     * {@code s B A}), else {@link #IN_PLACE}; {@code tokens} is the most rows a targeted linear sees
     * in the batch. So few-shot batches on large models (flan-t5-large: 325 tokens against d 1024)
     * take side branches and keep no copies, and small models or long batches are patched in
     * place. Measured on both in docs/scale.md.
     */
    AUTO;

    /**
     * @param text {@code in-place}, {@code branch} or {@code auto}, any case ({@code in_place} too)
     * @return the mode
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static AdapterMode parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        switch (t) {
            case "in-place":
                return IN_PLACE;
            case "branch":
                return BRANCH;
            case "auto":
                return AUTO;
            default:
                throw new IllegalArgumentException(
                        "unknown adapter mode '" + text + "', expected in-place, branch or auto");
        }
    }

    /**
     * @return {@code in-place}, {@code branch} or {@code auto}, as the CLI spells it
     */
    @Override
    public String toString() {
        return this == IN_PLACE ? "in-place" : name().toLowerCase(Locale.ROOT);
    }
}
