package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.pytorch.jni.JniUtils;
import dev.lorahub.djl.DjlRuntime;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs test code on a new thread with libtorch's grad mode set as asked. Grad mode is kept per
 * thread: on by default, and DJL turns it off only on the thread that starts the engine, so a test
 * thread's own mode depends on which test started the engine.
 */
public final class GradModeThread {
    private GradModeThread() {}

    /**
     * @param gradMode the grad mode to run {@code body} with
     * @param body what to run
     * @return what {@code body} returned
     * @throws Exception what {@code body} threw
     */
    public static <T> T call(boolean gradMode, Callable<T> body) throws Exception {
        DjlRuntime.start();
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(
                            () -> {
                                assertThat(JniUtils.isGradMode())
                                        .as("a new thread starts with grad mode on")
                                        .isTrue();
                                JniUtils.setGradMode(gradMode);
                                return body.call();
                            })
                    .get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        } finally {
            thread.shutdown();
        }
    }
}
