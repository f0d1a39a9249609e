package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Hugging Face's {@code _init_weights} for LLaMA: linear weights and embeddings {@code ~ N(0,
 * initializer_range^2)} (the pad row of the embedding zero), biases 0, RMSNorm weights 1; drawn in
 * {@link LlamaLayout} order from one {@link SplittableRandom}, so a seed fixes every value.
 */
final class LlamaInit {
    private LlamaInit() {}

    static Map<String, NDArray> randomWeights(LlamaConfig config, long seed, NDManager m) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, NDArray> w = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : LlamaLayout.shapes(config).entrySet()) {
            long[] shape = e.getValue();
            float[] v = new float[Math.toIntExact(new Shape(shape).size())];
            String name = e.getKey();
            if (name.endsWith("norm.weight")) {
                Arrays.fill(v, 1f);
            } else if (!name.endsWith(".bias")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (nextGaussian(rnd) * config.initializerRange());
                }
                if (name.equals("model.embed_tokens.weight")
                        && config.padTokenId() >= 0
                        && config.padTokenId() < config.vocabSize()) {
                    Arrays.fill(
                            v,
                            config.padTokenId() * config.hiddenSize(),
                            (config.padTokenId() + 1) * config.hiddenSize(),
                            0f);
                }
            }
            w.put(name, m.create(v, new Shape(shape)));
        }
        return w;
    }

    private static double nextGaussian(SplittableRandom rnd) {
        // Box-Muller; SplittableRandom has no nextGaussian in Java 17
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }
}
