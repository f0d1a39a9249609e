package dev.lorahub.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * The size and seed of a {@link ToyModel}; its weights are a pure function of this record.
 *
 * @param vocabSize V, at least 4 (ids 0 pad, 1 BOS, 2 EOS, then ordinary tokens); 98 or more makes
 *     the {@link ToyTokenizer} lossless on printable ASCII
 * @param hiddenSize d, at least 1
 * @param numLayers the number of residual {@code d x d} layers, at least 1
 * @param seed the seed of the weights
 */
public record ToyModelConfig(int vocabSize, int hiddenSize, int numLayers, long seed) {
    /** Validates the sizes. */
    public ToyModelConfig {
        if (vocabSize < 4 || hiddenSize < 1 || numLayers < 1) {
            throw new IllegalArgumentException(
                    "toy model needs vocabSize >= 4, hiddenSize >= 1, numLayers >= 1, got "
                            + vocabSize
                            + ", "
                            + hiddenSize
                            + ", "
                            + numLayers);
        }
    }

    /**
     * @return a small default: V = 16, d = 8, 2 layers, seed 7
     */
    public static ToyModelConfig small() {
        return new ToyModelConfig(16, 8, 2, 7L);
    }

    /**
     * @param layer a layer index in {@code [0, numLayers)}
     * @return the module path of that layer's {@code d x d} weight, {@code layers.<i>.proj}
     */
    public static String layerPath(int layer) {
        return "layers." + layer + ".proj";
    }

    /**
     * @return the module path of the output head, {@code [V, d]}
     */
    public static String headPath() {
        return "lm_head";
    }

    /**
     * @return the paths of the {@code d x d} layers that generated modules target, in order
     */
    public List<String> targetModules() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) {
            out.add(layerPath(i));
        }
        return out;
    }
}
