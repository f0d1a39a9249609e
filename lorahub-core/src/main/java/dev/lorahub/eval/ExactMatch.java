package dev.lorahub.eval;

import java.util.List;
import java.util.Locale;

/**
 * Exact match as the LoraHub reference scores it: both strings normalised by {@code
 * strip().lower().replace(".", "")} and compared for equality.
 */
public final class ExactMatch {
    private ExactMatch() {}

    /**
     * @param s a prediction or a reference
     * @return {@code s.strip().toLowerCase(Locale.ROOT).replace(".", "")}
     */
    public static String normalize(String s) {
        return s.strip().toLowerCase(Locale.ROOT).replace(".", "");
    }

    /**
     * @param prediction a generated answer
     * @param reference the expected answer
     * @return true when both normalise to the same string
     */
    public static boolean matches(String prediction, String reference) {
        return normalize(prediction).equals(normalize(reference));
    }

    /**
     * @param predictions the model's answers
     * @param references the expected answers, same size
     * @return the percentage of normalised equal pairs, in [0, 100]
     */
    public static double percent(List<String> predictions, List<String> references) {
        if (predictions.size() != references.size() || predictions.isEmpty()) {
            throw new IllegalArgumentException(
                    "need as many predictions as references (> 0), got "
                            + predictions.size()
                            + " and "
                            + references.size());
        }
        int hits = 0;
        for (int i = 0; i < predictions.size(); i++) {
            if (matches(predictions.get(i), references.get(i))) {
                hits++;
            }
        }
        return 100.0 * hits / predictions.size();
    }
}
