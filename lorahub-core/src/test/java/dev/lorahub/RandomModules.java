package dev.lorahub;

import dev.lorahub.io.AdapterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded random LoRA modules and exact double-precision reference math for merge tests. */
final class RandomModules {
    static final List<String> PATHS =
            List.of(
                    "model.layers.0.self_attn.q_proj",
                    "model.layers.0.self_attn.v_proj",
                    "model.layers.1.self_attn.q_proj");

    private RandomModules() {}

    /** A module over {@link #PATHS} with [out, in] = [7 + 2p, 5 + p] for layer p. */
    static LoraModule module(String name, SplittableRandom rnd, int rank, double alpha) {
        List<LoraLayer> layers = new ArrayList<>();
        for (int p = 0; p < PATHS.size(); p++) {
            int in = 5 + p;
            int out = 7 + 2 * p;
            layers.add(
                    new LoraLayer(
                            PATHS.get(p),
                            rank,
                            in,
                            out,
                            gaussian(rnd, rank * in),
                            gaussian(rnd, out * rank),
                            alpha / rank,
                            false));
        }
        return new LoraModule(
                name, new AdapterConfig("base", rank, alpha, List.of("q_proj", "v_proj")), layers);
    }

    static List<LoraModule> modules(long seed, int n, boolean sameRank) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LoraModule> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int rank = sameRank ? 3 : 1 + rnd.nextInt(5);
            double alpha = 1 + rnd.nextInt(16);
            list.add(module("m" + i, rnd, rank, alpha));
        }
        return list;
    }

    static double[] weights(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = rnd.nextDouble(-1.5, 1.5);
        }
        return w;
    }

    static float[] gaussian(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller; SplittableRandom has no nextGaussian before Java 17's RandomGenerator
            double u = rnd.nextDouble(1e-12, 1);
            double v = rnd.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        }
        return x;
    }

    /** scale * B @ A in double, [out, in] row-major. */
    static double[] product(float[] b, float[] a, int out, int rank, int in, double scale) {
        double[] d = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < rank; k++) {
                double bk = b[o * rank + k];
                for (int i = 0; i < in; i++) {
                    d[o * in + i] += scale * bk * a[k * in + i];
                }
            }
        }
        return d;
    }

    /** deltaW of a layer in double. */
    static double[] delta(LoraLayer l) {
        return product(
                l.loraB(),
                l.loraA(),
                l.outFeatures(),
                l.rank(),
                l.inFeatures(),
                l.scaling());
    }

    /** ||x - y||_F / max(||y||_F, tiny). */
    static double relFrobenius(double[] x, double[] y) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - y[i]) * (x[i] - y[i]);
            den += y[i] * y[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
