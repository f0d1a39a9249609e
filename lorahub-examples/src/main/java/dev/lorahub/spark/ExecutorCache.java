package dev.lorahub.spark;

import dev.lorahub.LoraModule;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.model.WeightDtype;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * What an executor JVM loads once and keeps for all the tasks it runs: base models, keyed by model
 * path and dtype, and LoRA modules, keyed by folder. Both are loaded lazily, on the first task that
 * needs them, and never evicted: a job touches few base models; an executor's memory must hold the
 * ones its tasks name (docs/spark.md, executor sizing).
 *
 * <p>Thread-safety: the executor's task threads share the entries. A {@link BaseModel} of
 * lorahub-djl holds one lock per model from applying an adapter to restoring the weights
 * (docs/reliability.md), so tasks sharing one model run their evaluations one after another. With
 * {@code copies > 1} a key holds that many independent copies, handed out in turn, so that as many
 * tasks evaluate at once, each copy costing the model's memory again. {@link LoraModule}s are
 * immutable and shared as they are. A load that fails is not cached: the next task tries again.
 */
final class ExecutorCache {
    /**
     * The key of a base model.
     *
     * @param model the resolved folder or file, absolute and normalized
     * @param dtype how the weights are kept
     */
    record ModelKey(Path model, WeightDtype dtype) {}

    private static final ConcurrentHashMap<ModelKey, Copies> MODELS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<Path, Lazy<LoraModule>> MODULES =
            new ConcurrentHashMap<>();
    private static final AtomicInteger MODEL_LOADS = new AtomicInteger();
    private static final AtomicInteger MODULE_LOADS = new AtomicInteger();

    private ExecutorCache() {}

    /**
     * @param model the resolved model folder or file
     * @param dtype how the model keeps its weights
     * @param copies copies of each model this JVM may hold, at least 1
     * @return a copy of the model, loaded on first use; shared with other tasks, never to be
     *     closed by them
     * @throws IOException if the model cannot be read
     */
    static BaseModel model(Path model, WeightDtype dtype, int copies) throws IOException {
        ModelKey key = new ModelKey(model.toAbsolutePath().normalize(), dtype);
        return MODELS.computeIfAbsent(key, k -> new Copies(copies)).next(key);
    }

    /**
     * @param folder a PEFT adapter folder
     * @return its module, loaded on first use
     * @throws IOException if it cannot be read
     */
    static LoraModule module(Path folder) throws IOException {
        Path key = folder.toAbsolutePath().normalize();
        return MODULES.computeIfAbsent(key, k -> new Lazy<>())
                .get(
                        () -> {
                            MODULE_LOADS.incrementAndGet();
                            return LoraModule.load(key);
                        });
    }

    /**
     * @return base model copies loaded by this JVM so far
     */
    static int modelLoads() {
        return MODEL_LOADS.get();
    }

    /**
     * @return modules loaded by this JVM so far
     */
    static int moduleLoads() {
        return MODULE_LOADS.get();
    }

    /** The copies of one model, handed out in turn. */
    private static final class Copies {
        private final Lazy<BaseModel>[] copies;
        private final AtomicInteger turn = new AtomicInteger();

        @SuppressWarnings("unchecked")
        Copies(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("model copies must be at least 1, got " + n);
            }
            copies = new Lazy[n];
            for (int i = 0; i < n; i++) {
                copies[i] = new Lazy<>();
            }
        }

        BaseModel next(ModelKey key) throws IOException {
            int i = Math.floorMod(turn.getAndIncrement(), copies.length);
            return copies[i].get(
                    () -> {
                        DjlRuntime.start(); // no network, quiet logs, threads: before DJL starts
                        MODEL_LOADS.incrementAndGet();
                        return ModelBackends.load(key.model(), key.dtype());
                    });
        }
    }

    /** A value loaded by the first caller; a failed load is retried by the next. */
    private static final class Lazy<T> {
        interface Loader<T> {
            T load() throws IOException;
        }

        private @Nullable T value;

        synchronized T get(Loader<T> loader) throws IOException {
            if (value == null) {
                value = loader.load();
            }
            return value;
        }
    }
}
