package dev.lorahub.internal.merge;

/**
 * Weighted sums and concatenations of row-major float factors: the allocation-free inner loops of
 * LORAHUB, LINEAR and CAT. Callers own {@code out}; inputs are read only.
 */
public final class FactorKernels {
    private FactorKernels() {}

    /**
     * {@code out = sum_i w_i x_i}, in float32 in the LoraHub reference's order: {@code out = w_0
     * x_0}, then {@code out += w_i x_i} for i = 1.. (each product and sum rounded to float).
     *
     * @param out destination, length n
     * @param xs inputs, each of length n
     * @param weights one per input
     */
    public static void weightedSum(float[] out, float[][] xs, float[] weights) {
        int n = out.length;
        float[] x0 = xs[0];
        float w0 = weights[0];
        for (int j = 0; j < n; j++) {
            out[j] = w0 * x0[j];
        }
        int i = 1;
        // four inputs per pass over out: the same left-to-right float additions, a quarter of
        // the traffic on out
        for (; i + 3 < xs.length; i += 4) {
            float[] x1 = xs[i];
            float[] x2 = xs[i + 1];
            float[] x3 = xs[i + 2];
            float[] x4 = xs[i + 3];
            float w1 = weights[i];
            float w2 = weights[i + 1];
            float w3 = weights[i + 2];
            float w4 = weights[i + 3];
            for (int j = 0; j < n; j++) {
                out[j] = (((out[j] + w1 * x1[j]) + w2 * x2[j]) + w3 * x3[j]) + w4 * x4[j];
            }
        }
        for (; i < xs.length; i++) {
            float[] x = xs[i];
            float w = weights[i];
            for (int j = 0; j < n; j++) {
                out[j] = out[j] + w * x[j];
            }
        }
    }

    /**
     * Stacks the rows {@code c_i A_i}: out is {@code [sum r_i, in]}.
     *
     * @param out destination, {@code sum_i r_i * in} values
     * @param as the A_i, {@code [r_i, in]} each
     * @param c one factor per input
     */
    public static void stackRowsScaled(float[] out, float[][] as, float[] c) {
        int off = 0;
        for (int i = 0; i < as.length; i++) {
            float[] a = as[i];
            float ci = c[i];
            for (int j = 0; j < a.length; j++) {
                out[off + j] = ci * a[j];
            }
            off += a.length;
        }
    }

    /**
     * Places the columns of each {@code B_i [out, r_i]} side by side: out is {@code [out, sum
     * r_i]}.
     *
     * @param out destination, {@code outFeatures * sum_i r_i} values
     * @param bs the B_i
     * @param ranks r_i
     * @param outFeatures rows of every B_i
     */
    public static void stackColumns(float[] out, float[][] bs, int[] ranks, int outFeatures) {
        int total = 0;
        for (int r : ranks) {
            total += r;
        }
        int col = 0;
        for (int i = 0; i < bs.length; i++) {
            float[] b = bs[i];
            int r = ranks[i];
            for (int o = 0; o < outFeatures; o++) {
                System.arraycopy(b, o * r, out, o * total + col, r);
            }
            col += r;
        }
    }
}
