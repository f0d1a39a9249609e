package dev.lorahub.testkit;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Generates LoRA modules for a {@link ToyModel} and tasks whose true update is a known combination
 * of the modules' updates, so that a test can check what LoraHub learns against the truth.
 */
public final class ToyTasks {
    /** How true weights {@code c} combine modules into the update that generates a task. */
    public enum Combination {
        /**
         * PEFT's {@code cat}, exact: {@code deltaW = sum_i c_i s_i B_i A_i}. LoraHub's CAT strategy
         * can represent it exactly, so learned weights can recover {@code c}.
         */
        EXACT_SUM,
        /**
         * LoraHub's merge: {@code deltaW = s_0 (sum_i c_i B_i)(sum_j c_j A_j)}, cross terms
         * included.
         */
        SEPARATE_SUM
    }

    private ToyTasks() {}

    /**
     * Random LoRA modules targeting every {@code d x d} layer of the model: {@code A ~ N(0, 1/d)}
     * ({@code [r, d]}), {@code B ~ N(0, 1/(4r))} ({@code [d, r]}), {@code lora_alpha = 2r} so
     * {@code s = 2} and each update is about as large as the base weight it adds to.
     *
     * @param config the model they are for
     * @param baseModelNameOrPath recorded in each module's config (a folder the {@link ToyBackend}
     *     loads, to let LoraHub resolve the model itself)
     * @param count how many, at least 1
     * @param rank r of each, at least 1
     * @param seed the seed of the factors
     * @return modules named {@code toy-0}, {@code toy-1}, ...
     */
    public static List<LoraModule> modules(
            ToyModelConfig config, String baseModelNameOrPath, int count, int rank, long seed) {
        if (count < 1 || rank < 1) {
            throw new IllegalArgumentException(
                    "count and rank must be >= 1, got " + count + " and " + rank);
        }
        int d = config.hiddenSize();
        Random rnd = new Random(seed);
        List<LoraModule> out = new ArrayList<>();
        for (int m = 0; m < count; m++) {
            List<LoraLayer> layers = new ArrayList<>();
            for (String path : config.targetModules()) {
                float[] a = gaussian(rnd, rank * d, 1.0 / Math.sqrt(d));
                float[] b = gaussian(rnd, d * rank, 0.5 / Math.sqrt(rank));
                layers.add(new LoraLayer(path, rank, d, d, a, b, 2.0, false));
            }
            AdapterConfig cfg =
                    new AdapterConfig(
                            baseModelNameOrPath, rank, 2.0 * rank, config.targetModules());
            out.add(new LoraModule("toy-" + m, cfg, layers));
        }
        return out;
    }

    /**
     * Samples a task from the model with the combined update of the modules added to its weights.
     *
     * @param model the base model
     * @param modules the modules (equal shapes for {@link Combination#SEPARATE_SUM})
     * @param trueWeights one weight per module
     * @param combination how to combine them
     * @param examples the number of examples, at least 1
     * @param length tokens per example, at least 2 (the first one is context only)
     * @param seed the seed of the sampling
     * @return the examples and the truth
     */
    public static ToyTask task(
            ToyModel model,
            List<LoraModule> modules,
            double[] trueWeights,
            Combination combination,
            int examples,
            int length,
            long seed) {
        if (modules.size() != trueWeights.length) {
            throw new IllegalArgumentException(
                    modules.size() + " modules but " + trueWeights.length + " weights");
        }
        if (examples < 1 || length < 2) {
            throw new IllegalArgumentException(
                    "need examples >= 1 and length >= 2, got " + examples + " and " + length);
        }
        Map<String, float[]> target = model.plus(update(modules, trueWeights, combination));
        int v = model.config().vocabSize();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<FewShotExample> out = new ArrayList<>();
        for (int e = 0; e < examples; e++) {
            int[] ids = new int[length];
            ids[0] = 3 + rnd.nextInt(v - 3);
            for (int t = 1; t < length; t++) {
                ids[t] = model.nextToken(ids[t - 1], target, 1.0, rnd);
            }
            out.add(FewShotExample.tokenized(ids, ids));
        }
        return new ToyTask(out, trueWeights, combination);
    }

    /**
     * The full-rank update a combination adds to each targeted weight; independent of {@code
     * dev.lorahub.Composer}, so tests can use it as the truth.
     *
     * @param modules the modules
     * @param weights one weight per module
     * @param combination how to combine them
     * @return {@code deltaW} ({@code [out, in]}) by module path
     */
    public static Map<String, float[]> update(
            List<LoraModule> modules, double[] weights, Combination combination) {
        Map<String, double[]> sums = new LinkedHashMap<>();
        if (combination == Combination.EXACT_SUM) {
            for (int m = 0; m < modules.size(); m++) {
                for (LoraLayer layer : modules.get(m).layers().values()) {
                    addScaled(sums, layer.modulePath(), layer.deltaWeight(), weights[m]);
                }
            }
        } else {
            for (LoraLayer first : modules.get(0).layers().values()) {
                float[] a = new float[first.rank() * first.inFeatures()];
                float[] b = new float[first.outFeatures() * first.rank()];
                for (int m = 0; m < modules.size(); m++) {
                    LoraLayer layer =
                            modules.get(m)
                                    .layer(first.modulePath())
                                    .orElseThrow(
                                            () ->
                                                    new IllegalArgumentException(
                                                            "a module lacks "
                                                                    + first.modulePath()));
                    axpy(a, layer.loraA(), weights[m]);
                    axpy(b, layer.loraB(), weights[m]);
                }
                LoraLayer merged =
                        new LoraLayer(
                                first.modulePath(),
                                first.rank(),
                                first.inFeatures(),
                                first.outFeatures(),
                                a,
                                b,
                                first.scaling(),
                                first.fanInFanOut());
                addScaled(sums, first.modulePath(), merged.deltaWeight(), 1.0);
            }
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        sums.forEach(
                (path, sum) -> {
                    float[] f = new float[sum.length];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = (float) sum[i];
                    }
                    out.put(path, f);
                });
        return out;
    }

    /**
     * An adapter that carries full-rank updates exactly: per path {@code A = I} ({@code [in, in]}),
     * {@code B = deltaW} ({@code [out, in]}), scaling 1, so {@code deltaWeight()} is {@code deltaW}
     * bit for bit. Lets a test evaluate the truth through the ordinary {@code BaseModel.loss}.
     *
     * @param name the module's name
     * @param baseModelNameOrPath recorded in its config
     * @param updates {@code deltaW} ({@code [out, in]}) by module path
     * @param model the model, for the shapes
     * @return the adapter
     */
    public static LoraModule fullRank(
            String name, String baseModelNameOrPath, Map<String, float[]> updates, ToyModel model) {
        List<LoraLayer> layers = new ArrayList<>();
        updates.forEach(
                (path, delta) -> {
                    var shape = model.linearModules().get(path);
                    if (shape == null) {
                        throw new IllegalArgumentException("the toy model lacks '" + path + "'");
                    }
                    int in = shape.inFeatures();
                    float[] identity = new float[in * in];
                    for (int i = 0; i < in; i++) {
                        identity[i * in + i] = 1f;
                    }
                    layers.add(
                            new LoraLayer(
                                    path,
                                    in,
                                    in,
                                    shape.outFeatures(),
                                    identity,
                                    delta,
                                    1.0,
                                    false));
                });
        AdapterConfig cfg =
                new AdapterConfig(
                        baseModelNameOrPath,
                        model.config().hiddenSize(),
                        model.config().hiddenSize(),
                        List.copyOf(updates.keySet()));
        return new LoraModule(name, cfg, layers);
    }

    private static void addScaled(
            Map<String, double[]> sums, String path, float[] delta, double weight) {
        double[] sum = sums.computeIfAbsent(path, p -> new double[delta.length]);
        if (sum.length != delta.length) {
            throw new IllegalArgumentException(
                    "layer '" + path + "': " + delta.length + " values, expected " + sum.length);
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += weight * delta[i];
        }
    }

    private static void axpy(float[] acc, float[] x, double w) {
        if (acc.length != x.length) {
            throw new IllegalArgumentException(
                    "factor has "
                            + x.length
                            + " values, expected "
                            + acc.length
                            + " (SEPARATE_SUM needs equal shapes)");
        }
        for (int i = 0; i < acc.length; i++) {
            acc[i] += (float) (w * x[i]);
        }
    }

    private static float[] gaussian(Random rnd, int n, double std) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (rnd.nextGaussian() * std);
        }
        return out;
    }
}
