package dev.lorahub.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.internal.CallBuffers;
import dev.lorahub.djl.train.SideBranch;
import dev.lorahub.spi.LinearShape;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Several candidate adapters in one forward: the examples are repeated once per candidate
 * (candidate-major: rows {@code c * B .. c * B + B - 1} belong to candidate {@code c}), and every
 * targeted linear adds a side branch with candidate-indexed stacked factors, {@code y_c = x_c W^T +
 * (x_c A_c^T) (s_c B_c)^T}. The base weights are not touched.
 *
 * <p>Every {@link dev.lorahub.MergeStrategy} gives a module in factor form ({@code deltaW = s B
 * A}: LORAHUB's and LINEAR's weighted sums of A and B, CAT's stacked factors of rank {@code sum_i
 * r_i}, SVD's truncated {@code U S} and {@code Vh}, the pruned or masked sums of TIES and DARE), so
 * the branch is, for all of them, the same function as {@link InPlaceLora}'s {@code W + s B A}: the
 * two differ by float rounding only (the one adds the product into W, the other keeps it apart).
 * Candidates with a smaller rank in a layer, or none, are padded with zero factors, which add exact
 * zeros. A {@code fan_in_fan_out} layer (weight stored {@code [in, out]}) gets {@code (x B) (s A)}.
 *
 * <p>Memory: per forward the stacked factors, {@link #factorFloats} per candidate, and the
 * activations of {@code lambda} copies of the batch. {@link #losses} splits the candidates into
 * forwards that stay under {@link #MAX_FACTOR_FLOATS} and a chosen count.
 */
public final class CandidateBranches {
    /**
     * The largest stacked factors of one forward, in floats (128 Mi floats, 512 MiB): a rank-16
     * LORAHUB candidate on flan-t5-large's q and v is 4.7 M floats, a CAT of 20 such modules 94 M.
     */
    public static final long MAX_FACTOR_FLOATS = 1L << 27;

    private CandidateBranches() {}

    /**
     * The side branches of the candidates, by module path.
     *
     * @param candidates validated candidates ({@link InPlaceLora#validate}), in row-group order
     * @param shapes the model's targetable weights and their stored {@code [out, in]} shapes
     * @param manager the per-call manager that owns the stacked factors
     * @return one branch per module path any candidate targets
     */
    public static Map<String, SideBranch> of(
            List<LoraModule> candidates, Map<String, LinearShape> shapes, NDManager manager) {
        Objects.requireNonNull(manager, "manager");
        Map<String, Integer> ranks = new LinkedHashMap<>();
        for (LoraModule c : candidates) {
            for (LoraLayer l : c.layers().values()) {
                ranks.merge(l.modulePath(), l.rank(), Math::max);
            }
        }
        Map<String, SideBranch> out = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : ranks.entrySet()) {
            LinearShape shape = shapes.get(e.getKey());
            if (shape == null) {
                throw new IllegalArgumentException(
                        "a candidate targets '" + e.getKey() + "', which the model lacks");
            }
            out.put(e.getKey(), stack(candidates, e.getKey(), shape, e.getValue(), manager));
        }
        return out;
    }

    /**
     * @param candidate a candidate adapter
     * @return the floats its factors take in a stacked forward: {@code sum over layers of rank *
     *     (in + out)}
     */
    public static long factorFloats(LoraModule candidate) {
        long n = 0;
        for (LoraLayer l : candidate.layers().values()) {
            n += (long) l.rank() * (l.inFeatures() + l.outFeatures());
        }
        return n;
    }

    /**
     * One loss per candidate, in order: consecutive candidates go through {@code batched} in groups
     * of at most {@code perForward} whose stacked factors stay under {@link #MAX_FACTOR_FLOATS}; a
     * group of one goes through {@code single} (the in-place path).
     *
     * @param candidates the candidates
     * @param perForward the most candidates in one forward (1: all through {@code single})
     * @param batched the losses of a group of at least two candidates in one forward
     * @param single the loss of one candidate alone
     * @return one loss per candidate
     */
    public static double[] losses(
            List<LoraModule> candidates,
            int perForward,
            Function<List<LoraModule>, double[]> batched,
            ToDoubleFunction<LoraModule> single) {
        requirePerForward(perForward);
        double[] out = new double[candidates.size()];
        int from = 0;
        while (from < candidates.size()) {
            int to = from;
            long floats = 0;
            while (to < candidates.size() && to - from < perForward) {
                long f = factorFloats(candidates.get(to));
                if (to > from && floats + f > MAX_FACTOR_FLOATS) {
                    break;
                }
                floats += f;
                to++;
            }
            if (to - from == 1) {
                out[from] = single.applyAsDouble(candidates.get(from));
            } else {
                double[] group = batched.apply(candidates.subList(from, to));
                System.arraycopy(group, 0, out, from, group.length);
            }
            from = to;
        }
        return out;
    }

    /**
     * @param n a number of candidates per forward
     * @return {@code n}
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static int requirePerForward(int n) {
        if (n < 1) {
            throw new IllegalArgumentException(
                    "candidates per forward must be at least 1, got " + n);
        }
        return n;
    }

    /**
     * The batch once per candidate, candidate-major: {@code [copies * B, ...]}.
     *
     * @param x {@code [B, ...]}
     * @param copies how many copies
     * @return the copies stacked along axis 0, in the manager of {@code x}
     */
    public static NDArray repeatRows(NDArray x, int copies) {
        long[] repeats = new long[x.getShape().dimension()];
        java.util.Arrays.fill(repeats, 1);
        repeats[0] = copies;
        return x.tile(repeats);
    }

    /**
     * Candidate-indexed factors of one layer: {@code low [lambda, in, R]}, {@code up [lambda, R,
     * out]}.
     */
    private static SideBranch stack(
            List<LoraModule> candidates,
            String path,
            LinearShape shape,
            int rank,
            NDManager manager) {
        int n = candidates.size();
        int in = shape.inFeatures();
        int out = shape.outFeatures();
        CallBuffers.Floats low = CallBuffers.floats(manager, Math.multiplyExact(n * rank, in));
        CallBuffers.Floats up = CallBuffers.floats(manager, Math.multiplyExact(n * rank, out));
        FloatBuffer lo = low.values();
        FloatBuffer uo = up.values();
        for (int c = 0; c < n; c++) {
            LoraLayer l = candidates.get(c).layers().get(path);
            if (l == null) {
                continue; // zero factors: this candidate leaves the layer as it is
            }
            int r = l.rank();
            float s = (float) l.scaling();
            FloatBuffer a = l.loraAView(); // [r, l.in]
            FloatBuffer b = l.loraBView(); // [l.out, r]
            int lb = c * in * rank;
            int ub = c * rank * out;
            if (!l.fanInFanOut()) { // weight [l.out, l.in]: x A^T (s B)^T
                for (int k = 0; k < r; k++) {
                    for (int i = 0; i < in; i++) {
                        lo.put(lb + i * rank + k, a.get(k * in + i));
                    }
                    for (int o = 0; o < out; o++) {
                        uo.put(ub + k * out + o, s * b.get(o * r + k));
                    }
                }
            } else { // weight [l.in, l.out], input width l.out: x B (s A)
                for (int i = 0; i < in; i++) {
                    for (int k = 0; k < r; k++) {
                        lo.put(lb + i * rank + k, b.get(i * r + k));
                    }
                }
                for (int k = 0; k < r; k++) {
                    for (int o = 0; o < out; o++) {
                        uo.put(ub + k * out + o, s * a.get(k * out + o));
                    }
                }
            }
        }
        return new Stacked(
                n, in, out, low.tensor(new Shape(n, in, rank)), up.tensor(new Shape(n, rank, out)));
    }

    private record Stacked(
            int candidates, long inFeatures, long outFeatures, NDArray low, NDArray up)
            implements SideBranch {
        @Override
        public NDArray branch(NDArray x) {
            Shape s = x.getShape();
            long[] dims = s.getShape().clone();
            dims[dims.length - 1] = outFeatures;
            return x.reshape(candidates, -1, inFeatures)
                    .matMul(low)
                    .matMul(up)
                    .reshape(new Shape(dims));
        }
    }
}
