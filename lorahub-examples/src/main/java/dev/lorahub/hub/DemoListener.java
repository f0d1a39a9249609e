package dev.lorahub.hub;

/** Progress of the demo: one unit per (task, method). */
@FunctionalInterface
public interface DemoListener {
    /** Ignores everything. */
    DemoListener NONE = (done, total, detail) -> {};

    /**
     * @param done (task, method) cells finished
     * @param total cells in all
     * @param detail e.g. {@code rev_atb lorahub_best 63.0}
     */
    void onProgress(int done, int total, String detail);
}
