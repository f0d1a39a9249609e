package dev.lorahub.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.internal.GradMode;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.ModelClosedException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Applies a LoRA module's update to a model's linear weights in place and restores them
 * bit-exactly.
 *
 * <p>The model hands over its targetable weights by PEFT module path (without the {@code
 * base_model.model.} prefix), each a float32 or float16 NDArray of shape {@code [out, in]} that its
 * forward reads directly (the delta is computed in float32; a float16 weight gets {@code W + deltaW}
 * rounded once to float16). {@link #apply(LoraModule)} first validates every layer of the module (unknown
 * module path or shape mismatch: {@link IllegalArgumentException} naming both), then adds {@code
 * deltaW = scaling * B @ A} to each targeted weight. Layers whose weights share a shape and rank
 * are done together: their scaled factors are stacked in Java ({@code [L, out, r]} and {@code [L,
 * r, in]}, small) and copied to native memory once, one batched matmul gives {@code [L, out, in]},
 * and each weight gets its slice with {@code addi}; so an evaluation costs a few native calls per
 * layer and no copy of a full matrix through the Java heap. Batches hold at most {@link
 * #CHUNK_FLOATS} floats of delta, so the allocator reuses its buffers instead of mapping fresh
 * pages every evaluation.
 *
 * <p>The first time a weight is targeted, a copy of it is kept (natively, under a sub-manager of
 * the given manager) until {@link #close()}; {@link #restore()} copies it back with one native copy
 * per weight (not {@code subi}, which is off by rounding). Extra memory: one copy of every weight
 * targeted so far ({@link #keptBytes()}), plus one delta batch during {@code apply}. The kept
 * copies are the truth for restore: the weights must not be changed by anything else while this
 * object lives (close it before, for instance, pretraining the base weights).
 *
 * <p>The weights stay owned by the model; this class never closes them.
 *
 * <p>Threads: {@link #with(LoraModule, Supplier)} and {@link #locked(Supplier)} are safe to call
 * from any number of threads. They hold one lock per instance (so per model) from apply through the
 * body to restore: calls run one at a time in full, and each sees the base weights plus its own
 * adapter only. {@link #close()} takes the same lock, so it waits for the call in progress; calls
 * after it (or waiting for the lock when it ran) throw {@link ModelClosedException}. {@link
 * #apply(LoraModule)} and {@link #restore()} on their own are for a single owner that does not
 * share the instance (benchmarks): between the two, the lock is not held. {@code with} and {@code
 * locked} run with libtorch's grad mode off on the calling thread ({@link GradMode#off}), so a
 * float16 model gives the same results on every thread; a body that differentiates opens its own
 * gradient collector.
 */
public final class InPlaceLora implements AutoCloseable {
    /**
     * The largest delta batch, in floats (4 MiB). Larger batches measured slower on a flan-t5-small
     * shape: the allocator maps (page-faults and zeroes) a fresh buffer for them on every
     * evaluation, which costs more than the native calls batching saves.
     */
    public static final long CHUNK_FLOATS = 1L << 20;

    private static final NDIndex ALL = new NDIndex(":");

    private final Map<String, NDArray> targets;
    private final Map<String, LinearShape> shapes;
    private final NDManager copyManager;
    private final Map<String, NDArray> originals = new HashMap<>();
    private final List<String> applied = new ArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final String owner;
    private boolean closed;

    /**
     * @param targets the targetable weights by module path, each {@code [out, in]} float32 or
     *     float16, in model order; the map is copied, the arrays are shared with the model
     * @param manager the manager under which the kept copies live (a sub-manager is made)
     */
    public InPlaceLora(Map<String, NDArray> targets, NDManager manager) {
        this(targets, manager, "model");
    }

    /**
     * @param targets the targetable weights by module path, each {@code [out, in]} float32 or
     *     float16, in model order; the map is copied, the arrays are shared with the model
     * @param manager the manager under which the kept copies live (a sub-manager is made)
     * @param owner what the weights belong to, for messages (e.g. {@code llama model})
     */
    public InPlaceLora(Map<String, NDArray> targets, NDManager manager, String owner) {
        this.owner = Objects.requireNonNull(owner, "owner");
        Map<String, NDArray> t = new LinkedHashMap<>();
        Map<String, LinearShape> s = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            NDArray w = e.getValue();
            Shape shape = w.getShape();
            if (shape.dimension() != 2
                    || (w.getDataType() != DataType.FLOAT32
                            && w.getDataType() != DataType.FLOAT16)) {
                throw new IllegalArgumentException(
                        "target '"
                                + e.getKey()
                                + "' must be a 2-D float32 or float16 weight, got "
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
        return !applied.isEmpty();
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
            // the stored weight has deltaW's shape: [out, in], or [in, out] for fan_in_fan_out
            int out = layer.fanInFanOut() ? layer.inFeatures() : layer.outFeatures();
            int in = layer.fanInFanOut() ? layer.outFeatures() : layer.inFeatures();
            if (shape.outFeatures() != out || shape.inFeatures() != in) {
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
        lock.lock();
        try {
            applyLocked(module);
        } finally {
            lock.unlock();
        }
    }

    private void applyLocked(LoraModule module) {
        requireOpen("apply '" + module.name() + "'");
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
        Map<LinearShape, Map<Integer, List<LoraLayer>>> groups = new LinkedHashMap<>();
        for (LoraLayer layer : module.layers().values()) {
            originals.computeIfAbsent(layer.modulePath(), this::copyOf);
            groups.computeIfAbsent(shapes.get(layer.modulePath()), k -> new LinkedHashMap<>())
                    .computeIfAbsent(layer.rank(), k -> new ArrayList<>())
                    .add(layer);
        }
        try {
            for (Map.Entry<LinearShape, Map<Integer, List<LoraLayer>>> g : groups.entrySet()) {
                LinearShape shape = g.getKey();
                long perLayer = (long) shape.outFeatures() * shape.inFeatures();
                int chunk = (int) Math.max(1, Math.min(Integer.MAX_VALUE, CHUNK_FLOATS / perLayer));
                for (Map.Entry<Integer, List<LoraLayer>> r : g.getValue().entrySet()) {
                    List<LoraLayer> layers = r.getValue();
                    for (int from = 0; from < layers.size(); from += chunk) {
                        addDeltas(
                                layers.subList(from, Math.min(layers.size(), from + chunk)),
                                shape,
                                r.getKey());
                    }
                }
            }
        } catch (RuntimeException e) {
            restoreLocked();
            throw e;
        }
    }

    /**
     * Adds {@code scaling * B @ A} of each layer (all with weight shape {@code shape} and rank
     * {@code rank}) with one batched matmul: left {@code [L, out, r]} = scaling * B (for {@code
     * fan_in_fan_out}: scaling * A^T), right {@code [L, r, in]} = A (B^T).
     */
    private void addDeltas(List<LoraLayer> layers, LinearShape shape, int rank) {
        int out = shape.outFeatures();
        int in = shape.inFeatures();
        int n = layers.size();
        float[] left = new float[Math.multiplyExact(n * rank, out)];
        float[] right = new float[Math.multiplyExact(n * rank, in)];
        for (int l = 0; l < n; l++) {
            LoraLayer layer = layers.get(l);
            float s = (float) layer.scaling();
            int lo = l * out * rank;
            int ro = l * rank * in;
            if (!layer.fanInFanOut()) { // weight [layer.out, layer.in]
                layer.copyLoraB(left, lo); // B is [layer.out, r]
                for (int i = lo; i < lo + out * rank; i++) {
                    left[i] *= s;
                }
                layer.copyLoraA(right, ro); // A is [r, layer.in]
            } else { // weight [layer.in, layer.out]: deltaW^T = A^T @ B^T
                float[] a = layer.loraA(); // [r, layer.in]
                float[] b = layer.loraB(); // [layer.out, r]
                for (int o = 0; o < out; o++) {
                    for (int k = 0; k < rank; k++) {
                        left[lo + o * rank + k] = s * a[k * out + o];
                    }
                }
                for (int k = 0; k < rank; k++) {
                    for (int j = 0; j < in; j++) {
                        right[ro + k * in + j] = b[j * rank + k];
                    }
                }
            }
        }
        try (NDManager scratch = copyManager.newSubManager()) {
            NDArray delta =
                    scratch.create(left, new Shape(n, out, rank))
                            .matMul(scratch.create(right, new Shape(n, rank, in)));
            for (int l = 0; l < n; l++) {
                String path = layers.get(l).modulePath();
                applied.add(path);
                targets.get(path).addi(delta.get(l));
            }
        }
    }

    private NDArray copyOf(String path) {
        NDArray copy = targets.get(path).duplicate();
        copy.attach(copyManager);
        return copy;
    }

    /**
     * Copies the kept originals back into the applied weights, bit-exactly; the copies stay for the
     * next {@link #apply(LoraModule)}.
     */
    public void restore() {
        lock.lock();
        try {
            restoreLocked();
        } finally {
            lock.unlock();
        }
    }

    private void restoreLocked() {
        for (String path : applied) {
            // a native copy_ into the whole weight: bit-exact, no trip through the Java heap
            targets.get(path).set(ALL, originals.get(path));
        }
        applied.clear();
    }

    /**
     * @return the bytes of the kept original weights (native memory beyond the model's own)
     */
    public long keptBytes() {
        lock.lock();
        try {
            long bytes = 0;
            for (NDArray copy : originals.values()) {
                bytes += copy.size() * copy.getDataType().getNumOfBytes();
            }
            return bytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code body} with the module applied and restores afterwards, also on failure; holds
     * this instance's lock throughout, so concurrent calls run one after another.
     *
     * @param module the module to apply
     * @param body what to compute while it is applied
     * @param <T> the result type
     * @return the body's result
     * @throws ModelClosedException if {@link #close()} ran before this call got the lock
     */
    public <T> T with(LoraModule module, Supplier<T> body) {
        lock.lock();
        try {
            return GradMode.off(
                    () -> {
                        applyLocked(module);
                        try {
                            return body.get();
                        } finally {
                            restoreLocked();
                        }
                    });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code body} under this instance's lock with no module applied: for work on the model
     * that must not overlap a patched forward or {@link #close()} (encoding with a native
     * tokenizer, a plain forward).
     *
     * @param what the call, for the message when closed (e.g. {@code encode examples})
     * @param body the work
     * @param <T> the result type
     * @return the body's result
     * @throws ModelClosedException if {@link #close()} ran before this call got the lock
     */
    public <T> T locked(String what, Supplier<T> body) {
        lock.lock();
        try {
            requireOpen(what);
            return GradMode.off(body);
        } finally {
            lock.unlock();
        }
    }

    private void requireOpen(String what) {
        if (closed) {
            throw new ModelClosedException("the " + owner + " is closed; cannot " + what);
        }
    }

    /**
     * @return true once {@link #close()} has run
     */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the call in progress, if any, restores any applied module and frees the kept
     * copies; the weights stay with the model. Later calls throw {@link ModelClosedException}.
     * Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            restoreLocked();
            originals.clear();
            copyManager.close();
        } finally {
            lock.unlock();
        }
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
