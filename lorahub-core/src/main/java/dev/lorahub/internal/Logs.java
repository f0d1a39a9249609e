package dev.lorahub.internal;

import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLogger;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * lorahub's loggers. With an SLF4J provider on the class path (logback, slf4j-simple, log4j-slf4j2,
 * or one named by the {@code slf4j.provider} system property) they are SLF4J's; without one they
 * are the no-op logger, and lorahub never initializes SLF4J's {@code LoggerFactory}, which would
 * print its three-line "No SLF4J providers were found" warning on stderr.
 *
 * <p>The provider test looks for a {@code META-INF/services/org.slf4j.spi.SLF4JServiceProvider}
 * entry through slf4j-api's class loader, as SLF4J does, without instantiating it.
 */
public final class Logs {
    private static final boolean PROVIDER = providerPresent();

    private Logs() {}

    /**
     * @param owner the class that logs
     * @return SLF4J's logger for {@code owner}, or the no-op logger when no provider is present
     */
    public static Logger get(Class<?> owner) {
        return PROVIDER ? LoggerFactory.getLogger(owner) : NOPLogger.NOP_LOGGER;
    }

    /**
     * @return whether an SLF4J provider is on the class path or named by {@code slf4j.provider}
     */
    public static boolean providerPresent() {
        if (System.getProperty("slf4j.provider") != null) {
            return true;
        }
        try {
            return ServiceLoader.load(
                            SLF4JServiceProvider.class, LoggerFactory.class.getClassLoader())
                    .stream()
                    .findAny()
                    .isPresent();
        } catch (ServiceConfigurationError e) {
            return true; // a broken registration: let SLF4J report it
        }
    }
}
