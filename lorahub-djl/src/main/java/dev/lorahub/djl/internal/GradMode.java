package dev.lorahub.djl.internal;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * libtorch's grad mode, which is kept per thread: on by default in every thread, and turned off by
 * DJL only on the thread that starts the engine. A float16 linear chooses its kernel by it ({@link
 * WeightOps#linear}: with grad mode on, the float32 product of the widened weight, which autograd
 * can follow), so a model evaluated on another thread (a Spark task, a server's pool) gave other
 * float16 losses than on the engine's thread: 5.5211482 against 5.5211410 for the hf-tiny LLaMA's
 * base. Evaluations therefore run with grad mode off on whatever thread calls them.
 *
 * <p>Thread-safe: it only reads and sets the calling thread's own mode.
 */
public final class GradMode {
    private GradMode() {}

    /**
     * Runs {@code body} with grad mode off on the calling thread and puts the thread's mode back
     * afterwards, also on failure. A body that differentiates opens a gradient collector, which
     * turns grad mode on for its own extent.
     *
     * @param body the work
     * @param <T> the result type
     * @return the body's result
     */
    public static <T> T off(Supplier<T> body) {
        boolean was = JniUtils.isGradMode();
        if (was) {
            JniUtils.setGradMode(false);
        }
        try {
            return body.get();
        } finally {
            if (was) {
                JniUtils.setGradMode(true);
            }
        }
    }
}
