package dev.lorahub.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.LoraHubResult;
import dev.lorahub.io.StrictJson;
import dev.lorahub.io.FileFormatException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One row of the job's output table: what a task's LoraHub run learned, or why it failed. The row of
 * a completed task is also stored as {@value #FILE} in its output folder, which is what makes a
 * re-run skip it.
 *
 * @param taskId the task's id
 * @param state {@code COMPLETED} or {@code CONVERGED} (normal ends), {@code FAILED} (no finite
 *     score: the result's own state), or {@value #ERROR} (the task could not run; see {@code
 *     error})
 * @param error one line naming the problem, or null
 * @param modules the composed modules, in the order of {@code weights}
 * @param weights the learned weights
 * @param loss the loss part of the best score
 * @param score the best score (loss + regularization)
 * @param evaluations objective evaluations made
 * @param forwardEquivalents forward passes spent, selection included
 * @param wallMs the search's wall time
 * @param forwardMs of which in the backend's loss
 * @param compositionMs of which merging modules
 * @param taskMs the whole task: loading (cache misses), search, writing
 * @param adapterPath the folder of the composed adapter (PEFT) and its sidecars, or null
 * @param provenance the run's {@code provenance.json}, or null
 * @param specSha256 {@link TaskSpec#sha256()} of the task that produced it
 * @param reused whether this run found the output complete and skipped the task
 * @param attempt the Spark attempt (1, 2, ...) that produced the row
 * @param executor the Spark executor id and host that produced the row
 */
public record TaskOutcome(
        String taskId,
        String state,
        @Nullable String error,
        List<String> modules,
        List<Double> weights,
        double loss,
        double score,
        int evaluations,
        long forwardEquivalents,
        long wallMs,
        long forwardMs,
        long compositionMs,
        long taskMs,
        @Nullable String adapterPath,
        @Nullable String provenance,
        String specSha256,
        boolean reused,
        int attempt,
        String executor)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The state of a task that could not run. */
    public static final String ERROR = "ERROR";

    /** The row of a completed task, in its output folder. */
    public static final String FILE = "lorahub-task.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies and checks for nulls. */
    public TaskOutcome {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(state, "state");
        modules = List.copyOf(modules);
        weights = List.copyOf(weights);
        Objects.requireNonNull(specSha256, "specSha256");
        Objects.requireNonNull(executor, "executor");
    }

    /**
     * @param spec the task
     * @param r its result
     * @param dir where it was saved
     * @param taskMs the task's whole time
     * @param attempt the Spark attempt
     * @param executor the executor
     * @return the row of a completed run
     */
    static TaskOutcome of(
            TaskSpec spec, LoraHubResult r, Path dir, long taskMs, int attempt, String executor) {
        List<Double> w = new ArrayList<>();
        for (double v : r.weightArray()) {
            w.add(v);
        }
        LoraHubResult.Timing t = r.timing();
        return new TaskOutcome(
                spec.taskId(),
                r.state().name(),
                null,
                r.moduleNames(),
                w,
                r.bestLoss(),
                r.bestScore(),
                r.trace().size(),
                r.forwardEquivalents(),
                t.wall().toMillis(),
                t.forward().toMillis(),
                t.composition().toMillis(),
                taskMs,
                dir.toString(),
                r.provenance().toJson(),
                spec.sha256(),
                false,
                attempt,
                executor);
    }

    /**
     * @return the row of a task that could not run
     */
    static TaskOutcome failed(
            String taskId,
            String specSha256,
            String error,
            long taskMs,
            int attempt,
            String executor) {
        return new TaskOutcome(
                taskId,
                ERROR,
                error,
                List.of(),
                List.of(),
                Double.NaN,
                Double.NaN,
                0,
                0,
                0,
                0,
                0,
                taskMs,
                null,
                null,
                specSha256,
                false,
                attempt,
                executor);
    }

    /**
     * @return this row marked as found complete by a later run
     */
    TaskOutcome asReused() {
        return new TaskOutcome(
                taskId,
                state,
                error,
                modules,
                weights,
                loss,
                score,
                evaluations,
                forwardEquivalents,
                wallMs,
                forwardMs,
                compositionMs,
                taskMs,
                adapterPath,
                provenance,
                specSha256,
                true,
                attempt,
                executor);
    }

    /**
     * @return this row as JSON (snake_case keys, numbers in Java's shortest round-trip form)
     */
    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("task_id", taskId);
        n.put("state", state);
        n.put("error", error);
        ArrayNode m = n.putArray("modules");
        modules.forEach(m::add);
        ArrayNode w = n.putArray("weights");
        weights.forEach(w::add);
        n.put("loss", loss);
        n.put("score", score);
        n.put("evaluations", evaluations);
        n.put("forward_equivalents", forwardEquivalents);
        n.put("wall_ms", wallMs);
        n.put("forward_ms", forwardMs);
        n.put("composition_ms", compositionMs);
        n.put("task_ms", taskMs);
        n.put("adapter_path", adapterPath);
        n.put("provenance", provenance);
        n.put("spec_sha256", specSha256);
        n.put("reused", reused);
        n.put("attempt", attempt);
        n.put("executor", executor);
        return n.toPrettyString() + "\n";
    }

    /**
     * @param file a {@value #FILE}
     * @return the row it holds
     * @throws IOException if it cannot be read
     * @throws FileFormatException naming the file and key when a key is missing
     */
    static TaskOutcome read(Path file) throws IOException {
        JsonNode n;
        try {
            n = StrictJson.read(JSON, file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FileFormatException(file, "not JSON: " + e.getOriginalMessage(), e);
        }
        List<String> modules = new ArrayList<>();
        require(file, n, "modules").forEach(x -> modules.add(x.asText()));
        List<Double> weights = new ArrayList<>();
        require(file, n, "weights").forEach(x -> weights.add(x.asDouble()));
        return new TaskOutcome(
                require(file, n, "task_id").asText(),
                require(file, n, "state").asText(),
                textOrNull(n, "error"),
                modules,
                weights,
                require(file, n, "loss").asDouble(),
                require(file, n, "score").asDouble(),
                require(file, n, "evaluations").asInt(),
                require(file, n, "forward_equivalents").asLong(),
                require(file, n, "wall_ms").asLong(),
                require(file, n, "forward_ms").asLong(),
                require(file, n, "composition_ms").asLong(),
                require(file, n, "task_ms").asLong(),
                textOrNull(n, "adapter_path"),
                textOrNull(n, "provenance"),
                require(file, n, "spec_sha256").asText(),
                require(file, n, "reused").asBoolean(),
                require(file, n, "attempt").asInt(),
                require(file, n, "executor").asText());
    }

    private static JsonNode require(Path file, JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw new FileFormatException(file, "no '" + key + "'");
        }
        return v;
    }

    private static @Nullable String textOrNull(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }
}
