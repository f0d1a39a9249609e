package dev.lorahub.hub;

/** Progress of {@code lorahub build-hub}. */
@FunctionalInterface
public interface HubBuildListener {
    /** Ignores everything. */
    HubBuildListener NONE = (phase, done, total, detail) -> {};

    /**
     * @param phase {@code pretrain}, {@code modules}, {@code held-out} or {@code ceilings}
     * @param done units done in this phase (steps or modules)
     * @param total units of this phase
     * @param detail e.g. the current loss or module name
     */
    void onProgress(String phase, int done, int total, String detail);
}
