package dev.lorahub.spark;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.cli.AdapterInputs;
import dev.lorahub.cli.LearnArguments;
import dev.lorahub.io.AtomicFolder;
import dev.lorahub.io.ExamplesFile;
import dev.lorahub.io.HfCache;
import dev.lorahub.model.BaseModel;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one task on an executor: the same LoraHub run as {@code lorahub learn} with the same
 * settings ({@link LearnArguments}), on the executor's cached base model and modules ({@link
 * ExecutorCache}), and writes its output folder {@code <adapters>/<task_id>/}: the composed adapter
 * (PEFT), {@code weights.json}, {@code trace.csv}, {@code provenance.json} ({@link
 * LoraHubResult#save(Path)}) and {@value TaskOutcome#FILE}.
 *
 * <p>The folder is written in one atomic replacement by the library's {@link AtomicFolder}, so it is
 * either absent or complete; a task whose folder exists is not run again (its stored row is
 * returned).
 *
 * @param adapters the folder holding each task's output folder (a path as text: {@link Path} is not
 *     serializable, and the runner travels to the executors)
 * @param hfCache the Hugging Face hub cache for ids, or null for the one huggingface_hub would use
 * @param modelCopies copies of each base model an executor may hold
 */
public record TaskRunner(String adapters, @Nullable String hfCache, int modelCopies)
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TaskRunner.class);

    /** Checks the arguments. */
    public TaskRunner {
        Objects.requireNonNull(adapters, "adapters");
        if (modelCopies < 1) {
            throw new IllegalArgumentException(
                    "model copies must be at least 1, got " + modelCopies);
        }
    }

    /**
     * @param spec the task
     * @param attempt the attempt number, from 1
     * @param executor who runs it, for the row
     * @return the row: the stored one when the output is complete (marked reused), else the new
     *     run's
     * @throws Exception whatever stopped the task: the caller decides between a retry and an error
     *     row
     */
    public TaskOutcome run(TaskSpec spec, int attempt, String executor) throws Exception {
        long start = System.nanoTime();
        spec.validate();
        Path dir = Path.of(adapters).toAbsolutePath().normalize().resolve(spec.taskId());
        AtomicFolder.recover(dir); // a folder a killed attempt had moved aside is put back
        TaskOutcome done = completed(spec, dir);
        if (done != null) {
            return done.asReused();
        }
        HfCache cache = hfCache != null ? HfCache.at(Path.of(hfCache)) : HfCache.fromEnvironment();
        List<FewShotExample> examples =
                spec.examplesPath() != null
                        ? ExamplesFile.read(Path.of(spec.examplesPath()))
                        : spec.fewShot();
        // the modules as `lorahub learn --modules` takes and names them (NAME=DIR too)
        List<AdapterInputs.Input> inputs =
                AdapterInputs.inputs(
                        "modules ", spec.modules(), true, p -> cache.locate(p.toString(), null));
        List<LoraModule> loaded = new ArrayList<>();
        for (Path folder : AdapterInputs.paths(inputs)) {
            loaded.add(ExecutorCache.module(folder));
        }
        List<LoraModule> pool = AdapterInputs.named(loaded, inputs);
        BaseModel base =
                ExecutorCache.model(
                        cache.locate(spec.model(), spec.revision()),
                        spec.weightDtype(),
                        modelCopies);
        LoraHubResult result =
                LearnArguments.fromOptions(spec.recipe(), spec.options(), spec.seed())
                        .applyTo(LoraHub.compose(pool).fewShot(examples))
                        .hfCache(cache)
                        .on(base)
                        .run();
        long ms = (System.nanoTime() - start) / 1_000_000;
        TaskOutcome row = TaskOutcome.of(spec, result, dir, ms, attempt, executor);
        publish(result, spec, row, dir);
        LOG.info(
                "task {}: {} after {} evaluations, score {} ({} ms)",
                spec.taskId(),
                row.state(),
                row.evaluations(),
                row.score(),
                ms);
        return row;
    }

    /**
     * @return the stored row when the task's folder is complete, null when there is none
     * @throws IllegalStateException when the folder holds the output of another task
     */
    private static @Nullable TaskOutcome completed(TaskSpec spec, Path dir) throws IOException {
        Path file = dir.resolve(TaskOutcome.FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        TaskOutcome stored = TaskOutcome.read(file);
        if (!stored.specSha256().equals(spec.sha256())) {
            throw new IllegalStateException(
                    dir
                            + " holds the output of another task (spec sha256 "
                            + stored.specSha256()
                            + ", this task's "
                            + spec.sha256()
                            + "); remove it or give the task another id");
        }
        return stored;
    }

    /**
     * Saves the result and the row in one atomic folder replacement ({@link AtomicFolder}, through
     * {@link LoraHubResult#save(Path, Map)}). When another attempt of the task wrote the folder
     * first (speculative execution), its complete folder is kept.
     */
    private static void publish(LoraHubResult result, TaskSpec spec, TaskOutcome row, Path dir)
            throws IOException {
        try {
            result.save(dir, Map.of(TaskOutcome.FILE, row.toJson().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            if (completed(spec, dir) == null) {
                throw e;
            }
            LOG.info("{} was completed by another attempt; keeping it", dir);
        }
    }
}
