package dev.lorahub.testkit;

import dev.lorahub.FewShotExample;
import dev.lorahub.spi.EncodedBatch;
import java.util.List;

/**
 * Examples laid out for {@link ToyModel}: since the next token depends on the current token only,
 * the counts of (context token, label) pairs are all the loss needs.
 *
 * @param size the number of examples
 * @param labelledTokens the number of scored (context, label) pairs
 * @param counts {@code [V * V]}, {@code counts[x * V + y]} pairs with context x and label y
 */
record ToyBatch(int size, int labelledTokens, int[] counts) implements EncodedBatch {
    @Override
    public void close() {}

    /**
     * Causal-LM layout: text examples become {@code BOS prompt output EOS} with the prompt's labels
     * -100; pre-tokenized ones must have labels aligned with their ids. Position t's logits are
     * scored against {@code labels[t + 1]}.
     */
    static ToyBatch encode(List<FewShotExample> examples, ToyTokenizer tokenizer, int v) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to encode");
        }
        int[] counts = new int[v * v];
        int labelled = 0;
        for (int e = 0; e < examples.size(); e++) {
            FewShotExample ex = examples.get(e);
            int[] ids;
            int[] labels;
            if (ex.isTokenized()) {
                ids = ex.inputIds().orElseThrow();
                labels = ex.labels().orElseThrow();
                if (labels.length != ids.length) {
                    throw new IllegalArgumentException(
                            "example "
                                    + e
                                    + ": a causal LM needs labels aligned with input_ids, got "
                                    + labels.length
                                    + " labels for "
                                    + ids.length
                                    + " ids");
                }
            } else {
                int[] prompt = tokenizer.encode(ex.input().orElseThrow(), true);
                int[] target = tokenizer.encode(ex.output().orElseThrow(), false);
                ids = new int[prompt.length + target.length + 1];
                labels = new int[ids.length];
                System.arraycopy(prompt, 0, ids, 0, prompt.length);
                System.arraycopy(target, 0, ids, prompt.length, target.length);
                ids[ids.length - 1] = ToyTokenizer.EOS;
                for (int t = 0; t < ids.length; t++) {
                    labels[t] = t < prompt.length ? FewShotExample.IGNORE_INDEX : ids[t];
                }
            }
            for (int t = 0; t + 1 < ids.length; t++) {
                int x = checkId(ids[t], e, "input id", v);
                int y = labels[t + 1];
                if (y == FewShotExample.IGNORE_INDEX) {
                    continue;
                }
                counts[x * v + checkId(y, e, "label", v)]++;
                labelled++;
            }
        }
        if (labelled == 0) {
            throw new IllegalArgumentException(
                    examples.size() + " examples have no labelled target token");
        }
        return new ToyBatch(examples.size(), labelled, counts);
    }

    static int checkId(int id, int example, String what, int vocabSize) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException(
                    "example "
                            + example
                            + ": "
                            + what
                            + " "
                            + id
                            + " outside vocabulary of "
                            + vocabSize);
        }
        return id;
    }
}
