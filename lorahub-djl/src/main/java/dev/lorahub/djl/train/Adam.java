package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma and Ba) on NDArrays, updated in place: {@code m = b1 m + (1-b1) g}, {@code v = b2 v
 * + (1-b2) g^2}, {@code p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}; the gradients are
 * zeroed after the update. Optional global gradient-norm clipping. Every temporary lives in a
 * per-step sub-manager that is closed at once; the moments live in the manager given at
 * construction.
 */
final class Adam implements AutoCloseable {
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;

    private final List<NDArray> params;
    private final NDManager stateManager;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final float clipNorm;
    private static final int MAX_CONSECUTIVE_SKIPS = 20;
    private int t;
    private int skipped;
    private int consecutiveSkips;

    /**
     * @param params arrays with gradients attached, updated in place
     * @param manager parent of the moments' manager
     * @param clipNorm clip the global gradient L2 norm to this, or 0 for no clipping
     */
    Adam(List<NDArray> params, NDManager manager, float clipNorm) {
        this.params = List.copyOf(params);
        this.stateManager = manager.newSubManager();
        this.clipNorm = clipNorm;
        for (NDArray p : this.params) {
            m.add(stateManager.zeros(p.getShape()));
            v.add(stateManager.zeros(p.getShape()));
        }
    }

    /**
     * One update with the current gradients at learning rate {@code lr}, then zeroes them. A step
     * whose gradients are not all finite is skipped (gradients zeroed, no update, moments kept).
     *
     * @return false if the step was skipped
     */
    boolean step(float lr) {
        try (NDManager scope = stateManager.newSubManager()) {
            List<NDArray> grads = new ArrayList<>();
            double sq = 0;
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(scope);
                grads.add(g);
                sq += g.square().sum().getFloat();
            }
            if (!Double.isFinite(sq)) {
                for (NDArray g : grads) {
                    g.muli(0f);
                }
                return false;
            }
            consecutiveSkips = 0;
            t++;
            float bc1 = 1 - (float) Math.pow(BETA1, t);
            float bc2 = 1 - (float) Math.pow(BETA2, t);
            float factor = 1f;
            if (clipNorm > 0) {
                double norm = Math.sqrt(sq);
                if (norm > clipNorm) {
                    factor = (float) (clipNorm / norm);
                }
            }
            for (int i = 0; i < params.size(); i++) {
                NDArray g = grads.get(i);
                NDArray gs = g.mul(factor);
                m.get(i).muli(BETA1).addi(gs.mul(1 - BETA1));
                v.get(i).muli(BETA2).addi(gs.square().muli(1 - BETA2));
                NDArray mHat = m.get(i).duplicate();
                mHat.attach(scope);
                NDArray vHat = v.get(i).duplicate();
                vHat.attach(scope);
                NDArray denom = vHat.divi(bc2).sqrt().addi(EPS);
                NDArray update = mHat.divi(bc1).divi(denom).muli(lr);
                params.get(i).subi(update);
                g.muli(0f);
            }
        }
        return true;
    }

    /** @return the number of updates made */
    int steps() {
        return t;
    }

    /** @return the number of steps skipped for non-finite loss or gradients */
    int skipped() {
        return skipped;
    }

    /**
     * Records a skipped step (non-finite loss or gradients): zeroes the gradients.
     *
     * @throws IllegalStateException after {@value #MAX_CONSECUTIVE_SKIPS} skips in a row: the
     *     parameters themselves have become non-finite
     */
    void skip() {
        skipped++;
        consecutiveSkips++;
        try (NDManager scope = stateManager.newSubManager()) {
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(scope);
                g.muli(0f);
            }
        }
        if (consecutiveSkips >= MAX_CONSECUTIVE_SKIPS) {
            throw new IllegalStateException(
                    "training diverged: " + consecutiveSkips + " steps in a row had a non-finite"
                            + " loss or gradient after " + t + " updates");
        }
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
