package dev.lorahub.internal.merge;

import dev.lorahub.MajoritySign;
import java.util.SplittableRandom;

/**
 * The element-wise task-arithmetic merges of PEFT's {@code merge_utils}: magnitude pruning, DARE
 * random pruning with rescaling, TIES sign election and disjoint mean.
 */
public final class TaskArithmetic {
    private TaskArithmetic() {}

    /**
     * Keeps the {@code k = floor(density * n)} largest-magnitude elements and zeroes the rest (PEFT
     * {@code magnitude_based_pruning}); ties at the threshold keep the lower indices.
     *
     * @param x the tensor (not modified)
     * @param density fraction kept, in [0, 1]; 1 keeps everything
     * @return a new pruned tensor
     */
    public static float[] magnitudePrune(float[] x, double density) {
        int n = x.length;
        if (density >= 1) {
            return x.clone();
        }
        int k = (int) (density * n);
        float[] out = new float[n];
        if (k == 0) {
            return out;
        }
        float[] mags = new float[n];
        for (int j = 0; j < n; j++) {
            mags[j] = Math.abs(x[j]);
        }
        float threshold = kthLargest(mags.clone(), k);
        int above = 0;
        for (int j = 0; j < n; j++) {
            if (mags[j] > threshold) {
                above++;
            }
        }
        int equalsToKeep = k - above;
        for (int j = 0; j < n; j++) {
            if (mags[j] > threshold) {
                out[j] = x[j];
            } else if (mags[j] == threshold && equalsToKeep > 0) {
                out[j] = x[j];
                equalsToKeep--;
            }
        }
        return out;
    }

    /** The k-th largest value (1-based) of a, by quickselect; reorders a. */
    static float kthLargest(float[] a, int k) {
        int target = a.length - k;
        int lo = 0;
        int hi = a.length - 1;
        SplittableRandom pivots = new SplittableRandom(a.length);
        while (lo < hi) {
            float pivot = a[lo + pivots.nextInt(hi - lo + 1)];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return a[target];
            }
        }
        return a[target];
    }

    /**
     * DARE: keeps each element with probability {@code density} and divides the kept ones by {@code
     * density} (PEFT {@code random_pruning(rescale=True)}), so the expectation is {@code x}.
     *
     * @param x the tensor (not modified)
     * @param density keep probability, in [0, 1]; 1 keeps everything unchanged, 0 zeroes all
     * @param rng the seeded source of the mask
     * @return a new pruned tensor
     */
    public static float[] dropAndRescale(float[] x, double density, SplittableRandom rng) {
        if (density >= 1) {
            return x.clone();
        }
        float[] out = new float[x.length];
        if (density <= 0) {
            return out;
        }
        float d = (float) density;
        for (int j = 0; j < x.length; j++) {
            if (rng.nextDouble() < density) {
                out[j] = x[j] / d;
            }
        }
        return out;
    }

    /**
     * TIES sign election and disjoint mean (PEFT {@code calculate_majority_sign_mask} + {@code
     * disjoint_merge}): per element j the majority sign m_j is +1 when {@code sum_i t_i[j] >= 0}
     * (TOTAL) or {@code sum_i sign(t_i[j]) >= 0} (FREQUENCY), else -1; the result is {@code sum_{i:
     * sign(t_i[j]) = m_j} w_i t_i[j] / max(1, #{i: sign(t_i[j]) = m_j})}. The sign is elected on
     * the unweighted tensors, as PEFT does.
     *
     * @param out destination, length n
     * @param ts the (pruned) tensors, length n each
     * @param weights w_i
     * @param method how the sign is elected
     */
    public static void disjointMerge(
            float[] out, float[][] ts, float[] weights, MajoritySign method) {
        int n = out.length;
        for (int j = 0; j < n; j++) {
            float vote = 0;
            for (float[] t : ts) {
                vote += method == MajoritySign.TOTAL ? t[j] : Math.signum(t[j]);
            }
            float majority = vote >= 0 ? 1f : -1f;
            float sum = 0;
            int count = 0;
            for (int i = 0; i < ts.length; i++) {
                float v = ts[i][j];
                if (Math.signum(v) == majority) {
                    sum += weights[i] * v;
                    count++;
                }
            }
            out[j] = count == 0 ? 0f : sum / count;
        }
    }
}
