package dev.lorahub.djl.internal;

import dev.lorahub.FewShotExample;

/**
 * Checks token ids against a model's vocabulary before they reach an embedding lookup or a
 * cross-entropy gather, where PyTorch would fail with an engine error ("index out of range in
 * self") that names neither the example nor the id.
 */
public final class TokenIds {
    private TokenIds() {}

    /**
     * @param ids token ids
     * @param vocabSize the model's vocabulary size
     * @param what what the ids are, for the message (e.g. "input ids of example 0")
     * @throws IllegalArgumentException naming the first id outside {@code [0, vocabSize)}
     */
    public static void requireInVocab(int[] ids, int vocabSize, String what) {
        check(ids, vocabSize, false, what);
    }

    /**
     * @param labels label ids, {@link FewShotExample#IGNORE_INDEX} allowed
     * @param vocabSize the model's vocabulary size
     * @param what what the labels are, for the message
     * @throws IllegalArgumentException naming the first label that is neither ignored nor in {@code
     *     [0, vocabSize)}
     */
    public static void requireLabelsInVocab(int[] labels, int vocabSize, String what) {
        check(labels, vocabSize, true, what);
    }

    private static void check(int[] ids, int vocabSize, boolean allowIgnore, String what) {
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            boolean ignored = allowIgnore && id == FewShotExample.IGNORE_INDEX;
            if (!ignored && (id < 0 || id >= vocabSize)) {
                throw new IllegalArgumentException(
                        what
                                + ": id "
                                + id
                                + " at position "
                                + i
                                + " is outside the model's vocabulary [0, "
                                + vocabSize
                                + ")"
                                + (allowIgnore ? " (-100 marks ignored labels)" : ""));
            }
        }
    }
}
