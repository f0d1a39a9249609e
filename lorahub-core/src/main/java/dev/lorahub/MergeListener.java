package dev.lorahub;

/**
 * Progress of a {@link Composer#merge} call, one call per merged layer, on the merging thread.
 * LORAHUB, CAT and LINEAR merges take milliseconds; SVD and TIES merges of many modules can take
 * minutes, which is what this is for (a CLI progress bar, a server streaming progress).
 */
@FunctionalInterface
public interface MergeListener {
    /** Does nothing. */
    MergeListener NONE = (done, total, modulePath) -> {};

    /**
     * @param done layers merged so far, 1..total
     * @param total layers to merge
     * @param modulePath the layer just merged
     */
    void layerMerged(int done, int total, String modulePath);
}
