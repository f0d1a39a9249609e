package dev.lorahub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a LoraHub run learned: the weights by module name, the merged adapter, the best score and
 * its loss part, the full trace, how the run ended, where the time went and the provenance.
 *
 * <p>{@link #save(Path)} writes everything as files: the merged adapter (PEFT folder), {@code
 * weights.json}, {@code trace.csv} and {@code provenance.json}.
 */
public final class LoraHubResult {
    /** How a run ended: {@link #COMPLETED} and {@link #CONVERGED} are both normal ends. */
    public enum State {
        /** The search spent its whole budget: the usual, normal end with LoraHub's budgets. */
        COMPLETED,
        /** The optimizer met its own stopping criterion before spending the whole budget. */
        CONVERGED,
        /** No evaluation gave a finite score; the weights are the start point. */
        FAILED,
        /**
         * Stopped early by {@link Cancellation#cancel()} or by interrupting the running thread: the
         * best evaluation so far (the start point, weights 0, if none was made).
         */
        CANCELLED,
        /**
         * Stopped early by {@link LearnStep#timeLimit}: the best evaluation so far (the start
         * point, weights 0, if none was made).
         */
        TIME_LIMIT_REACHED
    }

    /**
     * Where the wall time went.
     *
     * @param wall from the first evaluation to the end of the search
     * @param forward inside the backend's loss (forward passes, applying and restoring updates)
     * @param composition merging modules at candidate weights
     */
    public record Timing(Duration wall, Duration forward, Duration composition) {
        /** Checks for nulls. */
        public Timing {
            Objects.requireNonNull(wall, "wall");
            Objects.requireNonNull(forward, "forward");
            Objects.requireNonNull(composition, "composition");
        }

        /**
         * @return the rest of the wall time: optimizer, regulariser, listener
         */
        public Duration other() {
            return wall.minus(forward).minus(composition);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Double> weights;
    private final Map<String, Map<String, Double>> layerWeights;

    /** The searched coordinates: one per module, or one per module and layer (module-major). */
    private final double[] weightArray;

    private final LoraModule merged;
    private final double bestScore;
    private final double bestLoss;
    private final List<TracePoint> trace;
    private final State state;
    private final Timing timing;
    private final Provenance provenance;
    private final Map<String, Double> singleModuleLosses;
    private final long forwardEquivalents;

    LoraHubResult(
            List<String> moduleNames,
            List<String> layerPaths,
            double[] weights,
            LoraModule merged,
            double bestScore,
            double bestLoss,
            List<TracePoint> trace,
            State state,
            Timing timing,
            Provenance provenance,
            Map<String, Double> singleModuleLosses,
            long forwardEquivalents) {
        this.forwardEquivalents = forwardEquivalents;
        Map<String, Double> w = new LinkedHashMap<>();
        Map<String, Map<String, Double>> byLayer = new LinkedHashMap<>();
        int layers = Math.max(1, layerPaths.size());
        for (int i = 0; i < moduleNames.size(); i++) {
            double sum = 0.0;
            Map<String, Double> own = new LinkedHashMap<>();
            for (int l = 0; l < layers; l++) {
                double x = weights[i * layers + l];
                sum += x;
                if (!layerPaths.isEmpty()) {
                    own.put(layerPaths.get(l), x);
                }
            }
            w.put(moduleNames.get(i), sum / layers);
            if (!layerPaths.isEmpty()) {
                byLayer.put(moduleNames.get(i), Collections.unmodifiableMap(own));
            }
        }
        this.weights = Collections.unmodifiableMap(w);
        this.layerWeights = Collections.unmodifiableMap(byLayer);
        this.weightArray = weights.clone();
        this.merged = merged;
        this.bestScore = bestScore;
        this.bestLoss = bestLoss;
        this.trace = List.copyOf(trace);
        this.state = state;
        this.timing = timing;
        this.provenance = provenance;
        this.singleModuleLosses =
                Collections.unmodifiableMap(new LinkedHashMap<>(singleModuleLosses));
    }

    /**
     * @return the learned weight of each composed module, in composition order; with {@link
     *     LearnStep#perLayerWeights(boolean) per-layer weights}, each module's mean over its layers
     *     (the merge used the per-layer weights, {@link #layerWeights()})
     */
    public Map<String, Double> weights() {
        return weights;
    }

    /**
     * @return with {@link LearnStep#perLayerWeights(boolean) per-layer weights}, module name to
     *     (layer path to weight), in composition and layer order; otherwise empty
     */
    public Map<String, Map<String, Double>> layerWeights() {
        return layerWeights;
    }

    /**
     * @return the searched weights as an array: one per module in composition order, or with
     *     per-layer weights one per module and layer, module-major ({@code w[i * L + l]})
     */
    public double[] weightArray() {
        return weightArray.clone();
    }

    /**
     * @return the composed modules' names, in the order of the weights
     */
    public List<String> moduleNames() {
        return List.copyOf(weights.keySet());
    }

    /**
     * @return the modules merged at the learned weights, ready to save or apply
     */
    public LoraModule merged() {
        return merged;
    }

    /**
     * @return the lowest score evaluated, {@code loss + regularization * mean |w|}
     */
    public double bestScore() {
        return bestScore;
    }

    /**
     * @return the loss part of the best score
     */
    public double bestLoss() {
        return bestLoss;
    }

    /**
     * @return every evaluation, in order
     */
    public List<TracePoint> trace() {
        return trace;
    }

    /**
     * @return how the run ended
     */
    public State state() {
        return state;
    }

    /**
     * @return wall time split into forward passes, composition and the rest
     */
    public Timing timing() {
        return timing;
    }

    /**
     * @return how this result was produced
     */
    public Provenance provenance() {
        return provenance;
    }

    /**
     * @return each pool module's loss alone at weight 1, by name, when the selection was {@link
     *     ModuleSelection#lowestLoss(int)}; empty otherwise
     */
    public Map<String, Double> singleModuleLosses() {
        return singleModuleLosses;
    }

    /**
     * The run's cost in forward passes over the examples ("forward-equivalents"): one per module
     * scored alone by {@link ModuleSelection#lowestLoss(int)}, one per gradient-free evaluation,
     * {@value GradientOptimizer#COST_PER_STEP} per value-and-gradient evaluation (a backward pass
     * counted as two forwards). Comparable across optimizers: it is what the budget bounds, plus
     * selection.
     *
     * @return forward-equivalents spent, selection included
     */
    public long forwardEquivalents() {
        return forwardEquivalents;
    }

    /**
     * @return {@code {"module name": weight, ...}} in composition order, pretty-printed; with
     *     per-layer weights {@code {"module name": {"layer path": weight, ...}, ...}}
     */
    public String weightsJson() {
        ObjectNode root = JSON.createObjectNode();
        if (layerWeights.isEmpty()) {
            weights.forEach(root::put);
        } else {
            layerWeights.forEach((m, byLayer) -> byLayer.forEach(root.putObject(m)::put));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @return the trace as CSV: header {@code index,elapsed_ms,loss,score,best_score,w_<name>...}
     *     ({@code w_<name>@<layer path>...} with per-layer weights), one row per evaluation,
     *     numbers in Java's shortest round-trip form
     */
    public String traceCsv() {
        StringBuilder sb = new StringBuilder("index,elapsed_ms,loss,score,best_score");
        for (String name : weights.keySet()) {
            if (layerWeights.isEmpty()) {
                sb.append(",w_").append(csvField(name));
            } else {
                for (String path : layerWeights.get(name).keySet()) {
                    sb.append(",w_").append(csvField(name + "@" + path));
                }
            }
        }
        sb.append('\n');
        for (TracePoint p : trace) {
            sb.append(p.index())
                    .append(',')
                    .append(String.format(Locale.ROOT, "%.3f", p.elapsed().toNanos() / 1e6))
                    .append(',')
                    .append(p.loss())
                    .append(',')
                    .append(p.score())
                    .append(',')
                    .append(p.bestScore());
            for (double w : p.weights()) {
                sb.append(',').append(w);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** The files {@link #save(Path)} writes beside the adapter's. */
    public static final List<String> SIDECAR_FILES =
            List.of("weights.json", "trace.csv", "provenance.json");

    /**
     * Saves the merged adapter as a PEFT folder and, beside its files, {@code weights.json}, {@code
     * trace.csv} and {@code provenance.json}, as one atomic folder replacement ({@link
     * dev.lorahub.io.AtomicFolder}): a process killed at any moment leaves the previous result or
     * this one, never a mix or a partial folder. An existing folder is replaced only if it holds
     * nothing but an adapter and these files (a previous result); any other file makes the save
     * refuse, and nothing is changed.
     *
     * @param dir the target folder
     * @throws IOException if writing fails
     * @throws java.nio.file.FileAlreadyExistsException if the folder holds other files
     * @throws IllegalArgumentException if the folder is one a composed module was loaded from
     */
    public void save(Path dir) throws IOException {
        save(dir, Map.of());
    }

    /**
     * As {@link #save(Path)}, with files of the caller's in the same atomic folder replacement (a
     * job's record of the run, say): a reader finds all of them with the result, or none.
     *
     * @param dir the target folder; an existing one is replaced only if it holds nothing but an
     *     adapter, these sidecars and files named in {@code extraFiles}
     * @param extraFiles contents by plain file name (no slash, not starting with a dot), none of
     *     the adapter's or {@link #SIDECAR_FILES}
     * @throws IOException if writing fails (no partial folder is left)
     * @throws IllegalArgumentException for a bad or taken extra file name, or as {@link
     *     #save(Path)}
     */
    public void save(Path dir, Map<String, byte[]> extraFiles) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(SIDECAR_FILES.get(0), weightsJson().getBytes(StandardCharsets.UTF_8));
        files.put(SIDECAR_FILES.get(1), traceCsv().getBytes(StandardCharsets.UTF_8));
        files.put(SIDECAR_FILES.get(2), provenance.toJson().getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
            if (files.containsKey(e.getKey())) {
                throw new IllegalArgumentException(
                        "extra file '" + e.getKey() + "' is one of the result's " + SIDECAR_FILES);
            }
            files.put(e.getKey(), e.getValue());
        }
        merged.save(dir, files);
    }

    /**
     * As {@link #save(Path)}, with the merged adapter also written as a llama.cpp adapter {@code
     * adapter_model.gguf} (see {@link LoraModule#saveGguf}) in the same atomic folder replacement,
     * so that a process killed at any moment never leaves the new PEFT files without it.
     *
     * @param dir the target folder
     * @param headDim the base model's head size, needed when a layer adapts q_proj or k_proj
     * @throws IOException if writing fails
     * @throws IllegalArgumentException as {@link LoraModule#saveGguf} when the module has no
     *     llama.cpp form, or as {@link #save(Path)}
     */
    public void saveWithGguf(Path dir, int headDim) throws IOException {
        byte[] gguf = merged.ggufBytes(headDim);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(SIDECAR_FILES.get(0), weightsJson().getBytes(StandardCharsets.UTF_8));
        files.put(SIDECAR_FILES.get(1), traceCsv().getBytes(StandardCharsets.UTF_8));
        files.put(SIDECAR_FILES.get(2), provenance.toJson().getBytes(StandardCharsets.UTF_8));
        files.put(dev.lorahub.io.PeftAdapters.GGUF_FILE, gguf);
        merged.save(dir, files);
    }

    @Override
    public String toString() {
        return "LoraHubResult["
                + state
                + ", score "
                + bestScore
                + " (loss "
                + bestLoss
                + "), "
                + trace.size()
                + " evaluations, weights "
                + weights
                + "]";
    }
}
