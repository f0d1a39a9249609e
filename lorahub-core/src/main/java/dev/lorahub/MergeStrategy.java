package dev.lorahub;

/**
 * How {@link Composer} combines N LoRA modules with weights {@code w_i} into one module.
 *
 * <p>Notation, per targeted layer: {@code A_i} is module i's lora_A {@code [r_i, in]}, {@code B_i}
 * its lora_B {@code [out, r_i]}, {@code s_i} its scaling (alpha_i / r_i, or alpha_i / sqrt(r_i)
 * with rsLoRA), and {@code c_i = w_i * s_i}. The result's update is {@code deltaW = s * B @ A} with
 * the {@code s} given for each strategy. Strategies that act on A and B element-wise need equal
 * ranks; CAT and SVD accept any ranks. All need the same targeted layers with the same {@code [out,
 * in]} shapes.
 */
public enum MergeStrategy {
    /**
     * The LoraHub reference ({@code lorahub/algorithm.py}): {@code A = sum_i w_i A_i}, {@code B =
     * sum_i w_i B_i}, summed separately, and {@code s = s_0} (module 0's scaling). So {@code deltaW
     * = s_0 (sum_i w_i B_i)(sum_j w_j A_j)}, cross terms {@code w_i w_j B_i A_j} included; it is
     * not {@code sum_i w_i B_i A_i}. Equal ranks required. Float32 arithmetic in the reference's
     * order.
     */
    LORAHUB,

    /**
     * PEFT {@code cat}, exact: A stacks the rows {@code c_i A_i}, B stacks the columns {@code B_i},
     * rank {@code R = sum_i r_i}, {@code s = 1} (r = alpha = R), so {@code deltaW = sum_i c_i B_i
     * A_i}.
     */
    CAT,

    /**
     * PEFT {@code linear}: {@code A = sum_i sign(c_i) sqrt|c_i| A_i}, {@code B = sum_i sqrt|c_i|
     * B_i}, {@code s = 1}; {@code deltaW = (sum_i sqrt|c_i| B_i)(sum_j sign(c_j) sqrt|c_j| A_j)},
     * cross terms included. The sign goes on A so negative weights work (PEFT 0.10 fails on them
     * with a math domain error). Equal ranks required.
     */
    LINEAR,

    /**
     * PEFT {@code svd}, single scaling: {@code D = sum_i c_i B_i A_i} in double, then the truncated
     * SVD {@code D ~ U_R S_R Vh_R} with R = svdRank (default max r_i): {@code B = U_R diag(S_R)},
     * {@code A = Vh_R}, {@code s = 1}. The best rank-R approximation of the exact weighted delta
     * (Eckart-Young). PEFT 0.10 applies s_i twice (it scales by {@code w_i s_i} and then takes
     * {@code get_delta_weight}, which holds s_i again), i.e. it approximates {@code sum_i w_i s_i^2
     * B_i A_i}; the fixture {@code awa_svd} shows that.
     */
    SVD,

    /**
     * TIES-merging on A and B separately (equal ranks), with the LINEAR weights ({@code sign(c_i)
     * sqrt|c_i|} for A, {@code sqrt|c_i|} for B): each module's tensor pruned to its top {@code
     * density} fraction by magnitude; per element the majority sign of the pruned tensors ({@code
     * TOTAL}: sign of their sum; {@code FREQUENCY}: sign of the count of signs; ties count as +);
     * then the disjoint mean {@code sum_{i agreeing} v_i t_i / max(1, #agreeing)}. {@code s = 1}.
     */
    TIES,

    /**
     * DARE then linear: each module's A and B keep each element with probability {@code density}
     * (seeded Bernoulli mask) and are rescaled by {@code 1/density}; then the weighted sum with the
     * LINEAR weights. {@code s = 1}. Equal ranks required.
     */
    DARE_LINEAR,

    /** DARE masks (as {@link #DARE_LINEAR}) then the TIES sign election and disjoint mean. */
    DARE_TIES,

    /**
     * Magnitude pruning to the top {@code density} fraction of each module's A and B, then the
     * weighted sum with the LINEAR weights. {@code s = 1}. Equal ranks required.
     */
    MAGNITUDE_PRUNE;

    /**
     * @return whether all modules must have the same rank in each layer
     */
    public boolean needsEqualRanks() {
        return this != CAT && this != SVD;
    }

    /**
     * @return whether the strategy prunes and so needs {@link Composer#density(double)}
     */
    public boolean needsDensity() {
        return this == TIES || this == DARE_LINEAR || this == DARE_TIES || this == MAGNITUDE_PRUNE;
    }
}
