package dev.lorahub.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;

/**
 * Fails a test (or its class, for {@code @BeforeAll} / {@code @AfterAll}) during which {@link
 * NoSockets} recorded a socket use, naming the use (host:port) and the test. Registered for every
 * Jupiter test of the build by extension auto-detection ({@code META-INF/services} and {@code
 * junit-platform.properties} in lorahub-core's test resources, shared through its test-jar).
 */
public final class NoSocketsExtension
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private static final Namespace NS = Namespace.create(NoSocketsExtension.class);

    /** Created by Jupiter's extension auto-detection. */
    public NoSocketsExtension() {}

    @Override
    public void beforeAll(ExtensionContext context) {
        NoSockets.install(); // in case the session listener did not run (an IDE's own launcher)
        String name = context.getRequiredTestClass().getName();
        context.getStore(NS).put("mark", NoSockets.enter(name));
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        String name =
                context.getRequiredTestClass().getName()
                        + "#"
                        + context.getRequiredTestMethod().getName()
                        + " ["
                        + context.getDisplayName()
                        + "]";
        context.getStore(NS).put("mark", NoSockets.enter(name));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        check(context, context.getRequiredTestClass().getName()
                + "#" + context.getRequiredTestMethod().getName()
                + " [" + context.getDisplayName() + "]");
        NoSockets.enter(context.getRequiredTestClass().getName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            check(context, context.getRequiredTestClass().getName());
        } finally {
            NoSockets.leave();
        }
    }

    private static void check(ExtensionContext context, String name) {
        Integer mark = context.getStore(NS).get("mark", Integer.class);
        List<NoSockets.Use> uses = NoSockets.usesSince(mark == null ? 0 : mark);
        if (!uses.isEmpty()) {
            throw new AssertionError(NoSockets.message(uses, name));
        }
    }
}
