package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Runs one transformer block in a sub-manager of its input's manager, so the block's intermediate
 * arrays are freed when it ends instead of when the whole forward's manager closes.
 *
 * <p>DJL frees an NDArray only when it or its manager is closed; a forward that creates everything
 * in one per-call manager holds every intermediate of every layer until the call ends. At the
 * flan-t5-large and Llama-3.2-1B shapes that was about 1.5 GB at the peak (docs/scale.md). Under a
 * gradient collector this is still correct: closing an array releases the Java handle only, and
 * autograd keeps what the backward pass needs.
 */
public final class LayerScope {
    private LayerScope() {}

    /**
     * @param x the block's input; it is freed with the block's intermediates (pass a copy if the
     *     caller still needs it)
     * @param block computes the block's output from {@code x}; arrays it creates from {@code x}
     *     live in the scope
     * @return the block's output, in {@code x}'s former manager
     */
    public static NDArray run(NDArray x, UnaryOperator<NDArray> block) {
        NDManager parent = x.getManager();
        try (NDManager scope = parent.newSubManager()) {
            x.attach(scope);
            NDArray out = block.apply(x);
            out.attach(parent);
            return out;
        }
    }

    /**
     * Moves arrays a block made and keeps (KV caches) out of its scope, into the manager of the
     * block's output; arrays in any other manager are left where they are.
     *
     * @param scope the scope's manager (the manager of the block's input inside {@code block})
     * @param arrays the arrays to keep; nulls are skipped
     */
    public static void keep(NDManager scope, @Nullable NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null && a.getManager() == scope) {
                a.attach(scope.getParentManager());
            }
        }
    }
}
