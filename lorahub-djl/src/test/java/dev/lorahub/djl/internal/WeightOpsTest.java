package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightOps#linear} on a float16 weight under a gradient collector stays differentiable in
 * {@code x} alone and in the weight alone (closed form: {@code d sum(x W^T) / dx} = the column
 * sums of W, {@code / dW} = the column sums of x): the float16 cast would cut the graph.
 */
class WeightOpsTest {
    private static final int ROWS = 6;
    private static final int IN = 64;
    private static final int OUT = 16;

    /** Seeded values in [-1, 1). */
    private static float[] values(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /**
     * The gradient of {@code sum(x W^T)} with a gradient required on {@code x} only ({@code
     * inX}) or on the weight only, on a thread with grad mode on, under a collector.
     *
     * @return the gradient as float32, and the weight as float16 holds it
     */
    private static float[][] gradient(boolean inX, float[] xs, float[] ws) throws Exception {
        return GradModeThread.call(
                true,
                () -> {
                    try (NDManager m = NDManager.newBaseManager()) {
                        NDArray x = m.create(xs, new Shape(ROWS, IN));
                        NDArray w =
                                m.create(ws, new Shape(OUT, IN)).toType(DataType.FLOAT16, false);
                        NDArray wrt = inX ? x : w;
                        wrt.setRequiresGradient(true);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            gc.backward(WeightOps.linear(x, w, null).sum());
                        }
                        return new float[][] {
                            wrt.getGradient().toType(DataType.FLOAT32, false).toFloatArray(),
                            w.toType(DataType.FLOAT32, false).toFloatArray()
                        };
                    }
                });
    }

    @Test
    void under_a_gradient_collector_the_float16_product_is_differentiable_in_x_and_in_the_weight()
            throws Exception {
        float[] xs = values(3, ROWS * IN);
        float[] ws = values(4, OUT * IN);
        // d/dx: each row gets the column sums of W (as float16 holds W)
        float[][] dx = gradient(true, xs, ws);
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < IN; j++) {
                double want = 0;
                for (int o = 0; o < OUT; o++) {
                    want += dx[1][o * IN + j];
                }
                // a float32 sum of 16 values below 1 in magnitude
                assertThat((double) dx[0][r * IN + j])
                        .as("dx[%d][%d]", r, j)
                        .isCloseTo(want, within(1e-5));
            }
        }
        // d/dW: each row gets the column sums of x
        float[][] dw = gradient(false, xs, ws);
        for (int o = 0; o < OUT; o++) {
            for (int j = 0; j < IN; j++) {
                double want = 0;
                for (int r = 0; r < ROWS; r++) {
                    want += xs[r * IN + j];
                }
                // a float16 gradient: rounding of 2^-11 relative on values below 6
                assertThat((double) dw[0][o * IN + j])
                        .as("dW[%d][%d]", o, j)
                        .isCloseTo(want, within(4e-3));
            }
        }
    }
}
