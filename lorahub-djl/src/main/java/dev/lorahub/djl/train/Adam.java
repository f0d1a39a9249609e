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
    private int t;

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

    /** One update with the current gradients at learning rate {@code lr}, then zeroes them. */
    void step(float lr) {
        t++;
        float bc1 = 1 - (float) Math.pow(BETA1, t);
        float bc2 = 1 - (float) Math.pow(BETA2, t);
        try (NDManager scope = stateManager.newSubManager()) {
            List<NDArray> grads = new ArrayList<>();
            double sq = 0;
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(scope);
                grads.add(g);
                if (clipNorm > 0) {
                    NDArray s = g.square().sum();
                    sq += s.getFloat();
                }
            }
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
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
