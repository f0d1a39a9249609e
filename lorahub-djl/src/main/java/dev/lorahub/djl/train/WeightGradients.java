package dev.lorahub.djl.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;

import dev.lorahub.spi.LossGradient;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The gradient of a loss with respect to some of a model's weights, by one forward and one backward
 * pass: what {@link dev.lorahub.spi.DifferentiableModel#lossGradient} needs from a DJL model.
 *
 * <p>The chosen weights are marked as requiring gradients only for the call (an adapter may already
 * be added to them in place: they are leaves either way), the loss is differentiated inside a
 * {@code GradientCollector}, the gradients are copied to Java and zeroed in place (autograd adds
 * into them; not {@code muli(0)}, NaN times 0 is NaN), and the marks are removed, so the weights
 * can be restored in place afterwards and the next call starts from zero.
 */
public final class WeightGradients {
    private static final NDIndex ALL = new NDIndex("...");

    private WeightGradients() {}

    /**
     * @param weights the model's weights by module path (shared with its forward)
     * @param paths which of them to differentiate with respect to
     * @param parent the manager under which a per-call sub-manager is made
     * @param loss builds the scalar loss; the arrays it creates must live in the given per-call
     *     manager
     * @return the loss and {@code dloss/dW} per path, laid out as the stored weight
     * @throws IllegalArgumentException if a path is not among the weights
     */
    public static LossGradient of(
            Map<String, NDArray> weights,
            Set<String> paths,
            NDManager parent,
            Function<NDManager, NDArray> loss) {
        List<NDArray> marked = new ArrayList<>();
        for (String path : paths) {
            NDArray w = weights.get(path);
            if (w == null) {
                throw new IllegalArgumentException(
                        "no linear module '"
                                + path
                                + "' in the model (has "
                                + weights.keySet()
                                + ")");
            }
        }
        try (NDManager call = parent.newSubManager()) {
            for (String path : paths) {
                NDArray w = weights.get(path);
                w.setRequiresGradient(true);
                marked.add(w);
            }
            double value;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss.apply(call);
                gc.backward(l);
                value = l.getFloat();
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String path : paths) {
                NDArray g = weights.get(path).getGradient();
                g.attach(call);
                // a float16 weight (WeightDtype.F16) has a float16 gradient
                out.put(path, g.toType(DataType.FLOAT32, false).toFloatArray());
                g.set(ALL, 0f);
            }
            return new LossGradient(value, out);
        } finally {
            for (NDArray w : marked) {
                w.setRequiresGradient(false);
            }
        }
    }
}
