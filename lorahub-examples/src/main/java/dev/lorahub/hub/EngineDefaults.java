package dev.lorahub.hub;

/**
 * The DJL settings the hub commands run with unless the user set them: one intra-op thread
 * (steadier on a shared 2-core machine: two threads were measured stalling several-fold when
 * another process took a core), offline mode, and no telemetry call.
 */
public final class EngineDefaults {
    private EngineDefaults() {}

    /** Sets each property that is not already set; call before DJL's engine starts. */
    public static void apply() {
        setIfAbsent("ai.djl.pytorch.num_threads", "1");
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null && System.getenv(key) == null) {
            System.setProperty(key, value);
        }
    }
}
