package dev.lorahub;

/**
 * The chain rule of exact (CAT) composition: with {@code W_l + sum_i w_i s_i B_il A_il} in every
 * targeted layer, {@code dloss/dw_i = sum_l <G_l, s_i B_il A_il>} where {@code G_l = dloss/dW_l}.
 */
final class CatGradient {
    private CatGradient() {}

    /**
     * {@code <G, s B A>} (Frobenius product) without forming {@code B A}: {@code s sum_o sum_k
     * B[o,k] (G[o,:] . A[k,:])}, {@code O(out * in * rank)}.
     *
     * @param g {@code dloss/dW} laid out as the stored weight: {@code [out, in]}, or {@code [in,
     *     out]} when the layer is {@code fan_in_fan_out}
     * @param layer the layer whose update direction is taken
     * @return the directional derivative of the loss along the layer's update
     */
    static double directional(float[] g, LoraLayer layer) {
        int out = layer.outFeatures();
        int in = layer.inFeatures();
        int r = layer.rank();
        if (g.length != out * in) {
            throw new IllegalArgumentException(
                    "gradient of '"
                            + layer.modulePath()
                            + "' has "
                            + g.length
                            + " values, expected "
                            + out
                            + "x"
                            + in);
        }
        float[] a = layer.sharedA();
        float[] b = layer.sharedB();
        double sum = 0.0;
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < r; k++) {
                double bok = b[o * r + k];
                if (bok == 0.0) {
                    continue;
                }
                double dot = 0.0;
                int aOff = k * in;
                if (layer.fanInFanOut()) {
                    for (int i = 0; i < in; i++) {
                        dot += g[i * out + o] * a[aOff + i];
                    }
                } else {
                    int gOff = o * in;
                    for (int i = 0; i < in; i++) {
                        dot += g[gOff + i] * a[aOff + i];
                    }
                }
                sum += bok * dot;
            }
        }
        return layer.scaling() * sum;
    }
}
