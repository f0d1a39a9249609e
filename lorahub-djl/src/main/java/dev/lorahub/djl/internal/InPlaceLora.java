package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.spi.LinearShape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Applies a LoRA module's update to a model's linear weights in place and restores them
 * bit-exactly.
 *
 * <p>The model hands over its targetable weights by PEFT module path (without the {@code
 * base_model.model.} prefix), each a float32 NDArray of shape {@code [out, in]} that its forward
 * reads directly. {@link #apply(LoraModule)} first validates every layer of the module (unknown
 * module path or shape mismatch: {@link IllegalArgumentException} naming both), then for each layer
 * keeps a copy of the targeted weight only, computes {@code deltaW = scaling * B @ A} with NDArray
 * matmul in a sub-manager that is closed at once, and adds it with {@code addi}. {@link #restore()}
 * copies the kept values back (not {@code subi}, which is off by rounding) and frees the copies.
 * Extra memory while applied: one copy of the targeted matrices.
 *
 * <p>The weights stay owned by the model; this class never closes them. Not thread-safe.
 */
public final class InPlaceLora implements AutoCloseable {
    private static final NDIndex ALL = new NDIndex(":");

    private final Map<String, NDArray> targets;
    private final Map<String, LinearShape> shapes;
    private final NDManager copyManager;
    private final Map<String, NDArray> kept = new LinkedHashMap<>();

    /**
     * @param targets the targetable weights by module path, each {@code [out, in]} float32, in
     *     model order; the map is copied, the arrays are shared with the model
     * @param manager the manager under which the kept copies live (a sub-manager is made)
     */
    public InPlaceLora(Map<String, NDArray> targets, NDManager manager) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        Map<String, LinearShape> s = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            NDArray w = e.getValue();
            Shape shape = w.getShape();
            if (shape.dimension() != 2 || w.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException(
                        "target '"
                                + e.getKey()
                                + "' must be a 2-D float32 weight, got "
                                + w.getDataType()
                                + " "
                                + shape);
            }
            t.put(e.getKey(), w);
            s.put(e.getKey(), new LinearShape((int) shape.get(0), (int) shape.get(1)));
        }
        this.targets = Collections.unmodifiableMap(t);
        this.shapes = Collections.unmodifiableMap(s);
        this.copyManager = Objects.requireNonNull(manager, "manager").newSubManager();
    }

    /**
     * @return the targetable linear modules and their {@code [out, in]} shapes, in model order
     */
    public Map<String, LinearShape> shapes() {
        return shapes;
    }

    /**
     * @return true while a module is applied and not yet restored
     */
    public boolean isApplied() {
        return !kept.isEmpty();
    }

    /**
     * Checks that every layer of the module targets a known module with matching shape.
     *
     * @param module the module
     * @throws IllegalArgumentException naming the module path and both shapes
     */
    public void validate(LoraModule module) {
        for (LoraLayer layer : module.layers().values()) {
            LinearShape shape = shapes.get(layer.modulePath());
            if (shape == null) {
                throw new IllegalArgumentException(
                        "module '"
                                + module.name()
                                + "' targets '"
                                + layer.modulePath()
                                + "', which the model lacks (targetable: "
                                + abbreviate(shapes.keySet())
                                + ")");
            }
            int out = layer.fanInFanOut() ? layer.inFeatures() : layer.outFeatures();
            int in = layer.fanInFanOut() ? layer.outFeatures() : layer.inFeatures();
            if (!layer.fanInFanOut() && (shape.outFeatures() != out || shape.inFeatures() != in)
                    || layer.fanInFanOut()
                            && (shape.outFeatures() != in || shape.inFeatures() != out)) {
                throw new IllegalArgumentException(
                        "module '"
                                + module.name()
                                + "' layer '"
                                + layer.modulePath()
                                + "': deltaW is "
                                + layer.outFeatures()
                                + "x"
                                + layer.inFeatures()
                                + (layer.fanInFanOut() ? " (fan_in_fan_out)" : "")
                                + ", base weight is "
                                + shape);
            }
        }
    }

    /**
     * Adds {@code deltaW = scaling * B @ A} of every layer to its base weight in place. A module
     * without layers changes nothing.
     *
     * @param module the (composed) module
     * @throws IllegalArgumentException if a layer targets an unknown module or shapes differ; then
     *     nothing was changed
     * @throws IllegalStateException if a module is already applied, or a targeted weight requires
     *     gradients (as after pretraining with {@code setRequiresGradient(true)})
     */
    public void apply(LoraModule module) {
        if (isApplied()) {
            throw new IllegalStateException(
                    "a module is already applied; restore() before applying '"
                            + module.name()
                            + "'");
        }
        validate(module);
        for (String path : module.layers().keySet()) {
            if (targets.get(path).hasGradient()) {
                throw new IllegalStateException(
                        "weight '"
                                + path
                                + "' requires gradients; PyTorch refuses in-place"
                                + " updates of such leaves: call setRequiresGradient(false) first");
            }
        }
        try {
            for (LoraLayer layer : module.layers().values()) {
                NDArray weight = targets.get(layer.modulePath());
                NDArray copy = weight.duplicate();
                copy.attach(copyManager);
                kept.put(layer.modulePath(), copy);
                try (NDManager scratch = weight.getManager().newSubManager()) {
                    NDArray a =
                            scratch.create(
                                    layer.loraAView(), new Shape(layer.rank(), layer.inFeatures()));
                    NDArray b =
                            scratch.create(
                                    layer.loraBView(),
                                    new Shape(layer.outFeatures(), layer.rank()));
                    NDArray delta = b.matMul(a).muli((float) layer.scaling());
                    if (layer.fanInFanOut()) {
                        delta = delta.transpose();
                    }
                    weight.addi(delta);
                }
            }
        } catch (RuntimeException e) {
            restore();
            throw e;
        }
    }

    /** Copies the kept originals back into the weights, bit-exactly, and frees the copies. */
    public void restore() {
        List<String> done = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : kept.entrySet()) {
            NDArray copy = e.getValue();
            // a native copy_ into the whole weight: bit-exact, no trip through the Java heap
            targets.get(e.getKey()).set(ALL, copy);
            copy.close();
            done.add(e.getKey());
        }
        done.forEach(kept::remove);
    }

    /**
     * Runs {@code body} with the module applied and restores afterwards, also on failure.
     *
     * @param module the module to apply
     * @param body what to compute while it is applied
     * @param <T> the result type
     * @return the body's result
     */
    public <T> T with(LoraModule module, Supplier<T> body) {
        apply(module);
        try {
            return body.get();
        } finally {
            restore();
        }
    }

    /** Restores any applied module and frees the kept copies; the weights stay with the model. */
    @Override
    public void close() {
        restore();
        copyManager.close();
    }

    private static String abbreviate(Iterable<String> names) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (String s : names) {
            if (n == 4) {
                sb.append(", ...");
                break;
            }
            sb.append(n == 0 ? "" : ", ").append(s);
            n++;
        }
        return sb.toString();
    }
}
