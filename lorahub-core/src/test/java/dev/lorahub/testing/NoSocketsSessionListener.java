package dev.lorahub.testing;

import java.util.List;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link NoSockets} before the first test of a JVM and fails the run at the end of the
 * session if a socket was used outside any test (in a class initializer, or by a background
 * thread after its test ended) or by a test whose failure did not report it. Registered in
 * lorahub-core's test resources ({@code META-INF/services}), which lorahub-djl and lorahub-examples
 * get through lorahub-core's test-jar, so it runs in every test JVM of the build. Uses during a
 * test fail that test ({@link NoSocketsExtension}).
 */
public final class NoSocketsSessionListener implements LauncherSessionListener {
    /** Created by the JUnit Platform's service loader. */
    public NoSocketsSessionListener() {}

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        NoSockets.install();
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        try {
            Thread.sleep(2 * NoSockets.SAMPLE_MILLIS); // one more look by the sampler
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<NoSockets.Use> left = NoSockets.unreported();
        if (!left.isEmpty()) {
            String m = NoSockets.message(left, "this test JVM");
            System.err.println("[no-sockets] " + m);
            throw new AssertionError(m);
        }
    }
}
