package dev.lorahub;

import dev.lorahub.io.AdapterConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The adapter config of a merge result: module 0's config with r and lora_alpha set so that every
 * merged layer's rank and scaling reload exactly, {@code use_rslora} false (an inherited rsLoRA
 * flag would rescale the merged factors by sqrt(R), PEFT #3449) and {@code rank_pattern} / {@code
 * alpha_pattern} replaced (inherited patterns would give merged layers the ranks and alphas of
 * module 0, PEFT #3737). The most common rank and alpha become r and lora_alpha; layers that differ
 * get an exact-path pattern entry.
 */
final class MergedConfig {
    private MergedConfig() {}

    static AdapterConfig of(AdapterConfig base, List<LoraLayer> layers) {
        Map<Integer, Integer> rankCounts = new LinkedHashMap<>();
        Map<Double, Integer> alphaCounts = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        for (LoraLayer l : layers) {
            double alpha = snap(l.scaling() * l.rank());
            alphas.put(l.modulePath(), alpha);
            rankCounts.merge(l.rank(), 1, Integer::sum);
            alphaCounts.merge(alpha, 1, Integer::sum);
        }
        int r = mostCommon(rankCounts);
        double alpha = mostCommon(alphaCounts);
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        for (LoraLayer l : layers) {
            if (l.rank() != r) {
                rankPattern.put(l.modulePath(), l.rank());
            }
            double a = alphas.get(l.modulePath());
            if (a != alpha) {
                alphaPattern.put(l.modulePath(), a);
            }
        }
        AdapterConfig config =
                base.toBuilder()
                        .r(r)
                        .loraAlpha(alpha)
                        .rankPattern(rankPattern)
                        .alphaPattern(alphaPattern)
                        .useRslora(false)
                        .build();
        for (LoraLayer l : layers) {
            String p = l.modulePath();
            double s = config.scalingFor(p);
            if (config.rankFor(p) != l.rank() || Math.abs(s - l.scaling()) > 1e-9 * Math.abs(s)) {
                throw new IllegalStateException(
                        "merged config gives layer '"
                                + p
                                + "' rank "
                                + config.rankFor(p)
                                + " and scaling "
                                + s
                                + ", expected "
                                + l.rank()
                                + " and "
                                + l.scaling());
            }
        }
        return config;
    }

    /** alpha = s * r recomputed in double: 31.999999999999996 is written as 32. */
    private static double snap(double v) {
        double rounded = Math.rint(v);
        return Math.abs(v - rounded) <= 1e-9 * Math.max(1, Math.abs(v)) ? rounded : v;
    }

    private static <T> T mostCommon(Map<T, Integer> counts) {
        T best = null;
        int bestCount = -1;
        for (Map.Entry<T, Integer> e : counts.entrySet()) {
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        if (best == null) {
            throw new IllegalStateException("no layers");
        }
        return best;
    }
}
