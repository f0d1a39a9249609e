package dev.lorahub.djl;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.lorahub.internal.Logs;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The process-wide settings lorahub-djl gives DJL's PyTorch engine: no network, quiet logs and the
 * number of intra-op threads. lorahub-djl calls {@link #start()} before its first use of DJL
 * (loading a model or a tokenizer); an application that uses DJL itself before lorahub calls it
 * first.
 *
 * <p><b>No network.</b> DJL's engine start-up sends telemetry (it asks the cloud metadata address
 * 169.254.169.254 for an instance id, four connection attempts on a machine outside a cloud) unless
 * tracking is opted out, and DJL downloads a native library when the platform's native jar is
 * missing unless it runs offline. {@link #start()} therefore sets two system properties, each only
 * when the application has set neither the property nor its environment variable:
 *
 * <ul>
 *   <li>{@value #OFFLINE} = {@code true} (environment {@code DJL_OFFLINE}): no downloads;
 *   <li>{@value #OPT_OUT_TRACKING} = {@code true} (same name in the environment): no telemetry.
 * </ul>
 *
 * An application that wants DJL to download (its model zoo, a native library for a platform whose
 * jar is not on the class path) sets {@code -Dai.djl.offline=false} or {@code DJL_OFFLINE=false};
 * lorahub then leaves it alone. These properties are read by DJL when its engine class starts, so
 * they take effect only if lorahub is the first to use DJL in the process (or the application sets
 * them itself).
 *
 * <p><b>Quiet logs.</b> Without an SLF4J provider on the class path, SLF4J prints a three-line
 * "No SLF4J providers were found" warning on stderr the first time DJL asks for a logger. {@link
 * #start()} then sets {@code slf4j.internal.verbosity=ERROR} (unless set), which silences SLF4J's
 * own warnings and nothing else; with a provider present it changes nothing (DJL's messages then
 * follow the application's logging configuration).
 *
 * <p><b>Threads.</b> libtorch's intra-op thread count is one setting for the whole process. Its own
 * default is the number of physical cores, which was measured 2-10x slower than one thread when
 * other processes keep a core busy (OpenMP workers wait for the slowest). Unless the application
 * chose ({@link #setThreads(int)}, {@value #THREADS} or {@code OMP_NUM_THREADS}), {@link #start()}
 * sets {@link #defaultThreads()}: half the available processors, at least 1.
 *
 * <p>Thread-safe: every method is synchronized on the class.
 */
public final class DjlRuntime {
    /** DJL's system property for offline mode (environment variable {@code DJL_OFFLINE}). */
    public static final String OFFLINE = "ai.djl.offline";

    /** DJL's telemetry opt-out, read from the environment first, then system properties. */
    public static final String OPT_OUT_TRACKING = "OPT_OUT_TRACKING";

    /** DJL's system property (or environment variable) for libtorch's intra-op threads. */
    public static final String THREADS = "ai.djl.pytorch.num_threads";

    /** SLF4J's system property for the level of its own messages (e.g. "no providers"). */
    public static final String SLF4J_VERBOSITY = "slf4j.internal.verbosity";

    private static final Logger LOG = Logs.get(DjlRuntime.class);

    private static boolean started;
    private static @Nullable Integer requested;

    private DjlRuntime() {}

    /**
     * Applies the no-network defaults, starts DJL's PyTorch engine (loading libtorch) and sets its
     * intra-op thread count (see the class comment). Idempotent; cheap after the first call.
     */
    public static synchronized void start() {
        if (started) {
            return;
        }
        List<String> set = new ArrayList<>();
        if (setIfAbsent(OFFLINE, "DJL_OFFLINE", "true")) {
            set.add(OFFLINE + "=true");
        }
        if (setIfAbsent(OPT_OUT_TRACKING, OPT_OUT_TRACKING, "true")) {
            set.add(OPT_OUT_TRACKING + "=true");
        }
        if (!Logs.providerPresent() && setIfAbsent(SLF4J_VERBOSITY, SLF4J_VERBOSITY, "ERROR")) {
            set.add(SLF4J_VERBOSITY + "=ERROR");
        }
        Engine.getEngine("PyTorch");
        started = true;
        Integer n = requested;
        if (n == null && !threadsChosenByUser()) {
            n = defaultThreads();
        }
        if (n != null) {
            JniUtils.setNumThreads(n);
            set.add("intra-op threads=" + n);
        }
        LOG.debug("DJL runtime started; lorahub set {}", set);
    }

    /**
     * Sets libtorch's intra-op thread count for the whole process: now if the engine has started,
     * else when {@link #start()} runs. It overrides {@value #THREADS} and the default.
     *
     * @param threads at least 1
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        requested = threads;
        if (started) {
            JniUtils.setNumThreads(threads);
        }
    }

    /**
     * @return libtorch's intra-op thread count in force (starts the engine if needed)
     */
    public static synchronized int threads() {
        start();
        return JniUtils.getNumThreads();
    }

    /**
     * @return the thread count used when the application chose none: half of {@link
     *     Runtime#availableProcessors()}, at least 1
     */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /**
     * @return whether a thread count was chosen: by {@link #setThreads(int)}, {@value #THREADS}
     *     (property or environment) or {@code OMP_NUM_THREADS}
     */
    public static synchronized boolean threadsChosen() {
        return requested != null || threadsChosenByUser();
    }

    private static boolean threadsChosenByUser() {
        return isSet(THREADS, THREADS) || System.getenv("OMP_NUM_THREADS") != null;
    }

    private static boolean isSet(String property, String env) {
        return System.getProperty(property) != null || System.getenv(env) != null;
    }

    private static boolean setIfAbsent(String property, String env, String value) {
        if (isSet(property, env)) {
            return false;
        }
        System.setProperty(property, value);
        return true;
    }
}
