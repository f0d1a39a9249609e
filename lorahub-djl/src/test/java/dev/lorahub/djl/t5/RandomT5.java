package dev.lorahub.djl.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Seeded random T5 weights, as float arrays (for {@link NaiveT5}) and NDArrays. */
final class RandomT5 {
    final T5Config config;
    final Map<String, float[]> floats = new LinkedHashMap<>();

    RandomT5(T5Config config, long seed) {
        this.config = config;
        Random random = new Random(seed);
        for (Map.Entry<String, long[]> e : T5Weights.expectedShapes(config).entrySet()) {
            long[] s = e.getValue();
            int n = (int) (s.length == 1 ? s[0] : s[0] * s[1]);
            float[] v = new float[n];
            boolean norm = s.length == 1;
            double scale =
                    norm ? 0.2 : (e.getKey().contains("relative") ? 1.0 : 1.0 / Math.sqrt(s[1]));
            for (int i = 0; i < n; i++) {
                v[i] =
                        (float)
                                (norm
                                        ? 1 + scale * random.nextGaussian()
                                        : scale * random.nextGaussian());
            }
            floats.put(e.getKey(), v);
        }
    }

    T5Weights weights(NDManager manager) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : T5Weights.expectedShapes(config).entrySet()) {
            arrays.put(e.getKey(), manager.create(floats.get(e.getKey()), new Shape(e.getValue())));
        }
        return T5Weights.of(config, arrays);
    }

    static T5Config config(
            T5Activation activation,
            boolean gated,
            boolean tied,
            int encoderLayers,
            int decoderLayers) {
        return new T5Config(
                "t5",
                40,
                16,
                8,
                24,
                encoderLayers,
                decoderLayers,
                2,
                32,
                128,
                1e-6,
                activation,
                gated,
                tied,
                0,
                1,
                0);
    }
}
