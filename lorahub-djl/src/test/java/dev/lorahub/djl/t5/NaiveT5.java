package dev.lorahub.djl.t5;

import java.util.Map;

/**
 * An independent float64 T5 written with plain loops from the HF architecture description, one
 * example at a time and without padding: the truth that the batched, padded, float32 {@link
 * T5Forward} is checked against. Shares only {@link RelativePositionBuckets} (tested on its own).
 */
final class NaiveT5 {
    private final T5Config c;
    private final Map<String, float[]> w;

    NaiveT5(T5Config c, Map<String, float[]> weights) {
        this.c = c;
        this.w = weights;
    }

    /**
     * @return logits [target][vocab] of one example
     */
    double[][] logits(int[] source, int[] decoderInput) {
        double[][] enc = encoder(source);
        double[][] x = embed(decoderInput);
        int t = decoderInput.length;
        double[][][] selfBias = bias("decoder", t, t, false);
        for (int q = 0; q < t; q++) {
            for (int k = q + 1; k < t; k++) {
                for (int h = 0; h < c.numHeads(); h++) {
                    selfBias[h][q][k] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double[][][] noBias = new double[c.numHeads()][t][source.length];
        for (int i = 0; i < c.numDecoderLayers(); i++) {
            String p = "decoder.block." + i + ".layer.";
            double[][] n = rms(x, p + "0.layer_norm.weight");
            add(x, attention(n, n, p + "0.SelfAttention", selfBias));
            n = rms(x, p + "1.layer_norm.weight");
            add(x, attention(n, enc, p + "1.EncDecAttention", noBias));
            add(x, ff(rms(x, p + "2.layer_norm.weight"), p + "2.DenseReluDense"));
        }
        x = rms(x, "decoder.final_layer_norm.weight");
        if (c.tieWordEmbeddings()) {
            for (double[] row : x) {
                for (int j = 0; j < row.length; j++) {
                    row[j] *= 1.0 / Math.sqrt(c.dModel());
                }
            }
            return linear(x, "shared.weight", c.vocabSize());
        }
        return linear(x, "lm_head.weight", c.vocabSize());
    }

    private double[][] encoder(int[] source) {
        double[][] x = embed(source);
        double[][][] bias = bias("encoder", source.length, source.length, true);
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.block." + i + ".layer.";
            double[][] n = rms(x, p + "0.layer_norm.weight");
            add(x, attention(n, n, p + "0.SelfAttention", bias));
            add(x, ff(rms(x, p + "1.layer_norm.weight"), p + "1.DenseReluDense"));
        }
        return rms(x, "encoder.final_layer_norm.weight");
    }

    private double[][] embed(int[] ids) {
        float[] shared = w.get("shared.weight");
        double[][] x = new double[ids.length][c.dModel()];
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < c.dModel(); j++) {
                x[i][j] = shared[ids[i] * c.dModel() + j];
            }
        }
        return x;
    }

    private double[][][] bias(String stack, int queries, int keys, boolean bidirectional) {
        float[] table =
                w.get(stack + ".block.0.layer.0.SelfAttention.relative_attention_bias.weight");
        double[][][] b = new double[c.numHeads()][queries][keys];
        for (int q = 0; q < queries; q++) {
            for (int k = 0; k < keys; k++) {
                int bucket =
                        RelativePositionBuckets.bucket(
                                k - q,
                                bidirectional,
                                c.relativeAttentionNumBuckets(),
                                c.relativeAttentionMaxDistance());
                for (int h = 0; h < c.numHeads(); h++) {
                    b[h][q][k] = table[bucket * c.numHeads() + h];
                }
            }
        }
        return b;
    }

    private double[][] attention(double[][] xq, double[][] xkv, String p, double[][][] bias) {
        double[][] q = linear(xq, p + ".q.weight", c.innerDim());
        double[][] k = linear(xkv, p + ".k.weight", c.innerDim());
        double[][] v = linear(xkv, p + ".v.weight", c.innerDim());
        double[][] ctx = new double[xq.length][c.innerDim()];
        for (int h = 0; h < c.numHeads(); h++) {
            int off = h * c.dKv();
            for (int i = 0; i < xq.length; i++) {
                double[] s = new double[xkv.length];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < xkv.length; j++) {
                    double dot = 0;
                    for (int e = 0; e < c.dKv(); e++) {
                        dot += q[i][off + e] * k[j][off + e];
                    }
                    s[j] = dot + bias[h][i][j];
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < s.length; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = 0; j < s.length; j++) {
                    for (int e = 0; e < c.dKv(); e++) {
                        ctx[i][off + e] += s[j] / sum * v[j][off + e];
                    }
                }
            }
        }
        return linear(ctx, p + ".o.weight", c.dModel());
    }

    private double[][] ff(double[][] x, String p) {
        double[][] h;
        if (c.gatedActivation()) {
            h = linear(x, p + ".wi_0.weight", c.dFf());
            double[][] gate = linear(x, p + ".wi_1.weight", c.dFf());
            for (int i = 0; i < h.length; i++) {
                for (int j = 0; j < h[i].length; j++) {
                    h[i][j] = act(h[i][j]) * gate[i][j];
                }
            }
        } else {
            h = linear(x, p + ".wi.weight", c.dFf());
            for (double[] row : h) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = act(row[j]);
                }
            }
        }
        return linear(h, p + ".wo.weight", c.dModel());
    }

    private double act(double x) {
        return switch (c.activation()) {
            case RELU -> Math.max(0, x);
            case GELU_NEW ->
                    0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /** Maclaurin series of erf: error below 1e-9 for |x| <= 4; |erf| = 1 - 2e-17 beyond 6. */
    private static double erf(double x) {
        double t = Math.abs(x);
        if (t > 6) {
            return Math.signum(x);
        }
        double sum = t;
        double term = t;
        for (int n = 1; n < 200; n++) {
            term *= -t * t / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17) {
                break;
            }
        }
        double r = 2 / Math.sqrt(Math.PI) * sum;
        return Math.signum(x) * Math.min(1, r);
    }

    private double[][] rms(double[][] x, String weight) {
        float[] g = w.get(weight);
        double[][] out = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            double ms = 0;
            for (double v : x[i]) {
                ms += v * v;
            }
            double inv = 1 / Math.sqrt(ms / x[i].length + c.layerNormEpsilon());
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = x[i][j] * inv * g[j];
            }
        }
        return out;
    }

    private double[][] linear(double[][] x, String weight, int out) {
        float[] m = w.get(weight);
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int j = 0; j < in; j++) {
                    s += m[o * in + j] * x[i][j];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static void add(double[][] x, double[][] delta) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += delta[i][j];
            }
        }
    }
}
