package dev.lorahub.hub;

import dev.lorahub.djl.DjlRuntime;

/**
 * The engine settings of the hub commands ({@code build-hub}, {@code demo}, {@code train}): one
 * intra-op thread unless the user chose a count ({@code --threads}, {@code
 * ai.djl.pytorch.num_threads}, {@code OMP_NUM_THREADS}), because one thread makes the hub's
 * floating-point sums the same run to run (the committed hub is rebuilt bit for bit) and was the
 * steadier choice on a shared 2-core machine. No network and quiet logs come from {@link
 * DjlRuntime#start()}, as for every lorahub run.
 */
public final class EngineDefaults {
    private EngineDefaults() {}

    /** Chooses one thread if nobody chose, then starts the engine. */
    public static void apply() {
        if (!DjlRuntime.threadsChosen()) {
            DjlRuntime.setThreads(1);
        }
        DjlRuntime.start();
    }
}
