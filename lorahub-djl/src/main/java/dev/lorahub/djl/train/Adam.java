package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.lorahub.internal.Logs;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * Adam (Kingma and Ba) on NDArrays, updated in place: {@code m = b1 m + (1-b1) g}, {@code v = b2 v
 * + (1-b2) g^2}, {@code p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}; the gradients are
 * zeroed after the update. Optional global gradient-norm clipping. Every temporary lives in a
 * per-step sub-manager that is closed at once; the moments live in the manager given at
 * construction.
 *
 * <p>Guard against bad steps: a step whose gradients are not all finite is skipped; after {@value
 * #RESTORE_AFTER_SKIPS} skipped steps in a row the parameters and moments are restored from a copy
 * taken every {@value #SNAPSHOT_EVERY} updates (at most {@value #MAX_RESTORES} times, then it
 * throws). The sporadic NaN that motivated it came from a use-after-free of scalar operands saved
 * by autograd (see {@link dev.lorahub.djl.internal.Scalars}), fixed in the forwards; the guard
 * stays as a safety net and logs at WARN whenever it acts.
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
    private static final Logger LOG = Logs.get(Adam.class);
    private static final int RESTORE_AFTER_SKIPS = 3;
    private static final int MAX_RESTORES = 20;
    private static final int SNAPSHOT_EVERY = 50;
    private static final NDIndex ALL = new NDIndex("...");
    private final List<NDArray> snapParams = new ArrayList<>();
    private final List<NDArray> snapM = new ArrayList<>();
    private final List<NDArray> snapV = new ArrayList<>();
    private int snapshotT;
    private int restores;
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
            snapParams.add(null);
            snapM.add(null);
            snapV.add(null);
        }
        snapshot();
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
                return false; // the caller's skip() zeroes the gradients
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
        if (t % SNAPSHOT_EVERY == 0) {
            snapshot();
        }
        return true;
    }

    /**
     * @return the number of updates made
     */
    int steps() {
        return t;
    }

    /**
     * @return the number of steps skipped for non-finite loss or gradients
     */
    int skipped() {
        return skipped;
    }

    /**
     * Records a skipped step (non-finite loss or gradients): zeroes the gradients.
     *
     * @throws IllegalStateException when {@value #RESTORE_AFTER_SKIPS} skips in a row follow
     *     {@value #MAX_RESTORES} restores: the parameters keep becoming non-finite
     */
    void skip() {
        skipped++;
        consecutiveSkips++;
        LOG.warn("non-finite loss or gradient after {} updates: step skipped", t);
        try (NDManager scope = stateManager.newSubManager()) {
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(scope);
                // not muli(0): NaN * 0 is NaN, and autograd adds the next gradient to this one.
                // Not set(Buffer) either: it swaps the tensor's storage for a Java buffer owned by
                // this short-lived wrapper (use after free once it is collected). Fill in place.
                g.set(ALL, 0f);
            }
        }
        if (consecutiveSkips >= RESTORE_AFTER_SKIPS) {
            if (restores >= MAX_RESTORES) {
                throw new IllegalStateException(
                        "training diverged: "
                                + consecutiveSkips
                                + " steps in a row had a"
                                + " non-finite loss or gradient after "
                                + t
                                + " updates and "
                                + restores
                                + " restores");
            }
            restore();
        }
    }

    /**
     * @return how many times the last snapshot was restored
     */
    int restores() {
        return restores;
    }

    /** Keeps a copy of the parameters and moments (native arrays in the state manager). */
    private void snapshot() {
        snapshotT = t;
        for (int i = 0; i < params.size(); i++) {
            copyInto(snapParams, i, params.get(i));
            copyInto(snapM, i, m.get(i));
            copyInto(snapV, i, v.get(i));
        }
    }

    private void copyInto(List<NDArray> copies, int i, NDArray source) {
        NDArray copy = copies.get(i);
        if (copy == null) {
            copy = source.duplicate();
            copy.attach(stateManager);
            copies.set(i, copy);
        } else {
            copy.set(ALL, source);
        }
    }

    /**
     * Puts the last snapshot back: used when several steps in a row were non-finite, which means
     * the parameters themselves went bad.
     */
    private void restore() {
        LOG.warn(
                "{} non-finite steps in a row after {} updates: restoring the parameters of"
                        + " update {}",
                consecutiveSkips,
                t,
                snapshotT);
        for (int i = 0; i < params.size(); i++) {
            // in-place element copies: the tensors keep their own storage
            params.get(i).set(ALL, snapParams.get(i));
            m.get(i).set(ALL, snapM.get(i));
            v.get(i).set(ALL, snapV.get(i));
        }
        t = snapshotT;
        restores++;
        consecutiveSkips = 0;
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
