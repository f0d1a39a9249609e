package dev.lorahub;

import dev.lorahub.internal.merge.FactorKernels;
import dev.lorahub.internal.merge.TaskArithmetic;
import dev.lorahub.internal.merge.TruncatedSvd;
import dev.lorahub.io.StoredDtypes;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Combines LoRA modules trained for the same base model into one module, with one weight per
 * module, by a {@link MergeStrategy} (formulas there). Immutable: the settings return new
 * composers, and one composer may be used from many threads.
 *
 * <pre>{@code
 * LoraModule merged = Composer.of(MergeStrategy.LORAHUB).merge("composed", modules, weights);
 * LoraModule ties = Composer.of(MergeStrategy.TIES).density(0.5).merge("ties", modules, weights);
 * }</pre>
 *
 * <p>The result is a {@link LoraModule} that saves as a PEFT folder PEFT can load: it has module
 * 0's config with r and lora_alpha describing the result (see {@link MergeStrategy} for each
 * strategy's rank and scaling), {@code rank_pattern}/{@code alpha_pattern} rebuilt for the result,
 * {@code use_rslora} false; module 0's stored dtypes; and the source folders of all inputs, which
 * {@link LoraModule#save(Path)} refuses to overwrite.
 *
 * <p>LORAHUB, CAT and LINEAR never form a {@code [out, in]} delta: their cost is one pass over the
 * inputs' factors and their only allocations are the result's factors.
 */
public final class Composer {
    private final MergeStrategy strategy;
    private final double density;
    private final int svdRank;
    private final long seed;
    private final MajoritySign majoritySign;
    private final double svdClamp;
    private final MergeListener listener;

    private Composer(
            MergeStrategy strategy,
            double density,
            int svdRank,
            long seed,
            MajoritySign majoritySign,
            double svdClamp,
            MergeListener listener) {
        this.strategy = strategy;
        this.density = density;
        this.svdRank = svdRank;
        this.seed = seed;
        this.majoritySign = majoritySign;
        this.svdClamp = svdClamp;
        this.listener = listener;
    }

    /**
     * @param strategy how to merge
     * @return a composer with no density set, the default SVD rank (max r_i), no SVD clamp, seed 0
     *     and the TOTAL majority sign
     */
    public static Composer of(MergeStrategy strategy) {
        return new Composer(
                Objects.requireNonNull(strategy, "strategy"),
                Double.NaN,
                0,
                0L,
                MajoritySign.TOTAL,
                Double.NaN,
                MergeListener.NONE);
    }

    /**
     * @param d the fraction of each factor kept by TIES, DARE_* and MAGNITUDE_PRUNE, in [0, 1]
     *     (required by those strategies; ignored by the others)
     * @return a composer with that density
     */
    public Composer density(double d) {
        if (!(d >= 0 && d <= 1)) {
            throw new IllegalArgumentException("density must be in [0, 1], got " + d);
        }
        return new Composer(strategy, d, svdRank, seed, majoritySign, svdClamp, listener);
    }

    /**
     * @param rank the rank R of SVD results, at least 1 (default: max r_i of each layer)
     * @return a composer with that SVD rank
     */
    public Composer svdRank(int rank) {
        if (rank < 1) {
            throw new IllegalArgumentException("svdRank must be >= 1, got " + rank);
        }
        return new Composer(strategy, density, rank, seed, majoritySign, svdClamp, listener);
    }

    /**
     * PEFT's {@code svd_clamp}: after the truncated SVD, the values of {@code B = U_R S_R} and
     * {@code A = Vh_R} of each layer are clamped to {@code [-q, q]}, where q is the {@code
     * quantile} of all those values together (linear interpolation, as {@code torch.quantile}).
     * Clamping trades exactness for fewer outliers; unset by default.
     *
     * @param quantile in [0, 1]
     * @return a composer with that clamp
     */
    public Composer svdClamp(double quantile) {
        if (!(quantile >= 0 && quantile <= 1)) {
            throw new IllegalArgumentException("svdClamp must be in [0, 1], got " + quantile);
        }
        return new Composer(strategy, density, svdRank, seed, majoritySign, quantile, listener);
    }

    /**
     * @param l told after each merged layer (default {@link MergeListener#NONE})
     * @return a composer that reports progress to it
     */
    public Composer listener(MergeListener l) {
        return new Composer(
                strategy,
                density,
                svdRank,
                seed,
                majoritySign,
                svdClamp,
                Objects.requireNonNull(l, "listener"));
    }

    /**
     * @param s seed of the DARE masks; each (module name, layer, factor) draws from its own stream
     *     derived from it, so results do not depend on the order of the modules
     * @return a composer with that seed
     */
    public Composer seed(long s) {
        return new Composer(strategy, density, svdRank, s, majoritySign, svdClamp, listener);
    }

    /**
     * @param method TIES / DARE_TIES sign election (default TOTAL)
     * @return a composer with that method
     */
    public Composer majoritySign(MajoritySign method) {
        return new Composer(
                strategy,
                density,
                svdRank,
                seed,
                Objects.requireNonNull(method, "method"),
                svdClamp,
                listener);
    }

    /**
     * @return the strategy
     */
    public MergeStrategy strategy() {
        return strategy;
    }

    /**
     * Merges the modules.
     *
     * @param name the result's name
     * @param modules at least one module; all target the same layers with the same shapes (and
     *     ranks, where {@link MergeStrategy#needsEqualRanks()})
     * @param weights one finite weight per module, in the same order
     * @return the merged module
     * @throws IncompatibleModulesException for an empty list, a weight count other than the module
     *     count, a NaN or infinite weight, different target layers, shapes, fan_in_fan_out or
     *     (where needed) ranks; the message names the modules, the layer and both shapes
     * @throws IllegalStateException if the strategy needs a density and none was set
     */
    public LoraModule merge(String name, List<LoraModule> modules, double[] weights) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(modules, "modules");
        Objects.requireNonNull(weights, "weights");
        MergeChecks.check(strategy, modules, weights);
        return merge(name, modules, path -> weights);
    }

    /**
     * Merges the modules with one weight per module and layer: layer {@code l} of the result is the
     * merge of the modules' layer {@code l} at the weights {@code weightsByLayer.get(l)}.
     *
     * @param name the result's name
     * @param modules at least one module; all target the same layers (as for {@link #merge})
     * @param weightsByLayer for every layer the first module targets (by module path), one finite
     *     weight per module, in module order
     * @return the merged module
     * @throws IncompatibleModulesException as {@link #merge(String, List, double[])}
     * @throws IllegalArgumentException if a targeted layer has no weights, or a key names no
     *     targeted layer (both named)
     */
    public LoraModule mergePerLayer(
            String name, List<LoraModule> modules, Map<String, double[]> weightsByLayer) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(modules, "modules");
        Objects.requireNonNull(weightsByLayer, "weightsByLayer");
        if (modules.isEmpty()) {
            MergeChecks.check(strategy, modules, new double[0]);
        }
        Set<String> paths = modules.get(0).layers().keySet();
        for (String path : paths) {
            double[] w = weightsByLayer.get(path);
            if (w == null) {
                throw new IllegalArgumentException(
                        "no weights for layer '"
                                + path
                                + "'; weights given for "
                                + weightsByLayer.keySet());
            }
            MergeChecks.check(strategy, modules, w);
        }
        for (String path : weightsByLayer.keySet()) {
            if (!paths.contains(path)) {
                throw new IllegalArgumentException(
                        "weights given for layer '" + path + "', which the modules do not target");
            }
        }
        return merge(name, modules, weightsByLayer::get);
    }

    private LoraModule merge(
            String name, List<LoraModule> modules, Function<String, double[]> weightsOf) {
        if (strategy.needsDensity() && Double.isNaN(density)) {
            throw new IllegalStateException(
                    strategy + " prunes: set a density in [0, 1] with density(d) first");
        }
        LoraModule first = modules.get(0);
        int n = modules.size();
        float[][] as = new float[n][];
        float[][] bs = new float[n][];
        int[] ranks = new int[n];
        double[] scalings = new double[n];
        List<LoraLayer> merged = new ArrayList<>(first.layers().size());
        Map<String, StoredDtypes> dtypes = new LinkedHashMap<>();
        for (LoraLayer l0 : first.layers().values()) {
            String path = l0.modulePath();
            for (int i = 0; i < n; i++) {
                LoraLayer li = modules.get(i).layers().get(path);
                as[i] = li.sharedA();
                bs[i] = li.sharedB();
                ranks[i] = li.rank();
                scalings[i] = li.scaling();
            }
            merged.add(mergeLayer(l0, modules, weightsOf.apply(path), as, bs, ranks, scalings));
            listener.layerMerged(merged.size(), first.layers().size(), path);
            if (first.storedDtypes().containsKey(path)) {
                dtypes.put(path, first.storedDtypes(path));
            }
        }
        Set<Path> sources = new LinkedHashSet<>();
        for (LoraModule m : modules) {
            sources.addAll(m.sourceFolders());
        }
        return new LoraModule(
                name, MergedConfig.of(first.config(), merged), merged, dtypes, null, sources);
    }

    private LoraLayer mergeLayer(
            LoraLayer l0,
            List<LoraModule> modules,
            double[] w,
            float[][] as,
            float[][] bs,
            int[] ranks,
            double[] s) {
        int n = as.length;
        int in = l0.inFeatures();
        int out = l0.outFeatures();
        String path = l0.modulePath();
        boolean fan = l0.fanInFanOut();
        switch (strategy) {
            case LORAHUB -> {
                float[] wf = new float[n];
                for (int i = 0; i < n; i++) {
                    wf[i] = (float) w[i];
                }
                float[] a = new float[as[0].length];
                float[] b = new float[bs[0].length];
                FactorKernels.weightedSum(a, as, wf);
                FactorKernels.weightedSum(b, bs, wf);
                return LoraLayer.owning(path, l0.rank(), in, out, a, b, l0.scaling(), fan);
            }
            case CAT -> {
                int total = 0;
                float[] c = new float[n];
                for (int i = 0; i < n; i++) {
                    total += ranks[i];
                    c[i] = (float) (w[i] * s[i]);
                }
                float[] a = new float[total * in];
                float[] b = new float[out * total];
                FactorKernels.stackRowsScaled(a, as, c);
                FactorKernels.stackColumns(b, bs, ranks, out);
                return LoraLayer.owning(path, total, in, out, a, b, 1.0, fan);
            }
            case SVD -> {
                int rank = svdRank;
                double[] c = new double[n];
                for (int i = 0; i < n; i++) {
                    rank = svdRank > 0 ? svdRank : Math.max(rank, ranks[i]);
                    c[i] = w[i] * s[i];
                }
                TruncatedSvd.Factors f = TruncatedSvd.of(bs, as, ranks, c, out, in, rank);
                if (!Double.isNaN(svdClamp)) {
                    TruncatedSvd.clamp(f, svdClamp);
                }
                return LoraLayer.owning(path, rank, in, out, f.a(), f.b(), 1.0, fan);
            }
            default -> {
                float[] wa = new float[n];
                float[] wb = new float[n];
                for (int i = 0; i < n; i++) {
                    double c = w[i] * s[i];
                    double root = Math.sqrt(Math.abs(c));
                    wa[i] = (float) (Math.signum(c) * root);
                    wb[i] = (float) root;
                }
                float[] a = new float[as[0].length];
                float[] b = new float[bs[0].length];
                combine(a, prune(as, modules, path, 'A'), wa);
                combine(b, prune(bs, modules, path, 'B'), wb);
                return LoraLayer.owning(path, l0.rank(), in, out, a, b, 1.0, fan);
            }
        }
    }

    private float[][] prune(float[][] xs, List<LoraModule> modules, String path, char factor) {
        if (strategy == MergeStrategy.LINEAR) {
            return xs;
        }
        float[][] out = new float[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            if (strategy == MergeStrategy.TIES || strategy == MergeStrategy.MAGNITUDE_PRUNE) {
                out[i] = TaskArithmetic.magnitudePrune(xs[i], density);
            } else {
                out[i] =
                        TaskArithmetic.dropAndRescale(
                                xs[i], density, rng(modules.get(i).name(), path, factor));
            }
        }
        return out;
    }

    private void combine(float[] out, float[][] xs, float[] weights) {
        if (strategy == MergeStrategy.TIES || strategy == MergeStrategy.DARE_TIES) {
            TaskArithmetic.disjointMerge(out, xs, weights, majoritySign);
        } else {
            FactorKernels.weightedSum(out, xs, weights);
        }
    }

    private SplittableRandom rng(String module, String path, char factor) {
        long h = seed;
        h = h * 0x9E3779B97F4A7C15L + module.hashCode();
        h = h * 0x9E3779B97F4A7C15L + path.hashCode();
        h = h * 0x9E3779B97F4A7C15L + factor;
        return new SplittableRandom(h);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Composer[").append(strategy);
        if (strategy.needsDensity()) {
            sb.append(", density=").append(density);
        }
        if (strategy == MergeStrategy.SVD) {
            sb.append(", svdRank=").append(svdRank > 0 ? String.valueOf(svdRank) : "max r_i");
            if (!Double.isNaN(svdClamp)) {
                sb.append(", svdClamp=").append(svdClamp);
            }
        }
        if (strategy == MergeStrategy.DARE_LINEAR || strategy == MergeStrategy.DARE_TIES) {
            sb.append(", seed=").append(seed);
        }
        if (strategy == MergeStrategy.TIES || strategy == MergeStrategy.DARE_TIES) {
            sb.append(", majoritySign=").append(majoritySign);
        }
        return sb.append(']').toString();
    }
}
