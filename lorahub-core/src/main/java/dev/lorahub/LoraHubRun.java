package dev.lorahub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lorahub.internal.Logs;
import dev.lorahub.internal.PythonRandom;
import dev.lorahub.io.StrictJson;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.HfCache;
import dev.lorahub.io.NotInCacheException;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.model.ModelNotFoundException;
import dev.lorahub.optim.AskTellOptimizer;
import dev.lorahub.optim.GradientObjective;
import dev.lorahub.optim.OptimizationListener;
import dev.lorahub.optim.Optimizers;
import dev.lorahub.spi.DifferentiableModel;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.LossGradient;
import dev.lorahub.spi.ModelClosedException;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One execution of a {@link LearnStep}: checks, model, selection, search, result. */
final class LoraHubRun {
    private static final Logger LOG = Logs.get(LoraHub.class);
    private static final String MERGED_NAME = "lorahub";

    private final List<LoraModule> pool;
    private final List<FewShotExample> examples;
    private final LearnSettings settings;

    private final List<EncodedBatch> batches = new ArrayList<>();

    /** The examples laid out by the template, set once the model is known. */
    private List<FewShotExample> laidOut = List.of();

    /** Forward-equivalents spent on selection (one per pool module scored alone). */
    private long selectionCost;

    private final Thread runner = Thread.currentThread();
    private final long startNanos = System.nanoTime();
    private LoraHubResult.@Nullable State stop;
    private boolean interrupted;

    LoraHubRun(List<LoraModule> pool, List<FewShotExample> examples, LearnSettings settings) {
        this.pool = pool;
        this.examples = examples;
        this.settings = settings;
    }

    LoraHubResult run() {
        try {
            return runChecked();
        } finally {
            if (interrupted) {
                runner.interrupt(); // the caller sees the interrupt it made
            }
        }
    }

    private LoraHubResult runChecked() {
        checkBeforeLoading();
        Optimizer optimizer = optimizer();
        BaseModel given = settings.model();
        if (given == null && stopRequested() != null) {
            // stopped before it began: no model to load, no evaluation to make
            return search(null, optimizer, select(null, new LinkedHashMap<>()), Map.of());
        }
        BaseModel model = given != null ? given : openBaseModel();
        try {
            checkTargets(model);
            GradientOptimizer gradient = settings.gradientOptimizer();
            if (gradient != null && !(model instanceof DifferentiableModel)) {
                throw new IllegalArgumentException(
                        "optimizer '"
                                + gradient.name()
                                + "' learns the weights by gradient, but the "
                                + model.modelType()
                                + " base model gives no gradients (it does not implement"
                                + " DifferentiableModel); choose a gradient-free optimizer");
            }
            ExampleTemplate template =
                    settings.template() != null ? settings.template() : model.template();
            laidOut = template.apply(examples);
            batches.addAll(encode(model, laidOut));
            Map<String, Double> singleLosses = new LinkedHashMap<>();
            List<LoraModule> selected = select(model, singleLosses);
            return search(model, optimizer, selected, singleLosses);
        } catch (ObjectiveException e) {
            // a model closed under the run is misuse, not a failure of the objective
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof ModelClosedException closed) {
                    throw closed;
                }
                if (c instanceof ValueProbed probed) {
                    throw probed; // misuse too: the optimizer cannot run on mini-batches
                }
            }
            throw e;
        } finally {
            batches.forEach(EncodedBatch::close);
            if (given == null) {
                model.close();
            }
        }
    }

    /** The examples in batches of the configured size (closed by the caller). */
    private List<EncodedBatch> encode(BaseModel model, List<FewShotExample> laidOut) {
        int size = settings.batchSize() == 0 ? laidOut.size() : settings.batchSize();
        List<EncodedBatch> out = new ArrayList<>();
        try {
            for (int from = 0; from < laidOut.size() && stopRequested() == null; from += size) {
                out.add(model.encode(laidOut.subList(from, Math.min(laidOut.size(), from + size))));
            }
        } catch (RuntimeException e) {
            out.forEach(EncodedBatch::close);
            throw e;
        }
        return out;
    }

    private void checkBeforeLoading() {
        ModuleSelection sel = settings.selection();
        int k =
                sel instanceof ModuleSelection.Random r
                        ? r.k()
                        : sel instanceof ModuleSelection.LowestLoss l ? l.k() : pool.size();
        if (k > pool.size()) {
            throw new IllegalArgumentException(
                    "selection "
                            + settings.selection().describe()
                            + " needs at least "
                            + k
                            + " modules, got "
                            + pool.size());
        }
        Composer composer = settings.composer();
        GradientOptimizer gradient = settings.gradientOptimizer();
        if (gradient != null && composer.strategy() != MergeStrategy.CAT) {
            throw new IllegalArgumentException(
                    "optimizer '"
                            + gradient.name()
                            + "' learns the weights by gradient, which needs exact composition:"
                            + " strategy CAT, got "
                            + composer.strategy());
        }
        if (gradient == null && (settings.perLayerWeights() || settings.earlyStopping())) {
            throw new IllegalArgumentException(
                    (settings.perLayerWeights() ? "perLayerWeights" : "earlyStopping")
                            + " needs a gradient optimizer (e.g. adam), got optimizer '"
                            + (settings.optimizer() != null
                                    ? settings.optimizer().name()
                                    : LoraHub.DEFAULT_OPTIMIZER)
                            + "'");
        }
        checkMiniBatch(gradient);
        if (settings.earlyStopping() && examples.size() < 2) {
            throw new IllegalArgumentException(
                    "earlyStopping holds out one example at a time and needs at least 2 examples,"
                            + " got "
                            + examples.size());
        }
        if (gradient != null && settings.budget() < GradientOptimizer.COST_PER_STEP) {
            throw new IllegalArgumentException(
                    "optimizer '"
                            + gradient.name()
                            + "' needs a budget of at least "
                            + GradientOptimizer.COST_PER_STEP
                            + " forward-equivalents (one step), got "
                            + settings.budget());
        }
        MergeChecks.check(composer.strategy(), pool, new double[pool.size()]);
        if (composer.strategy().needsDensity()) {
            composer.merge(MERGED_NAME, pool, new double[pool.size()]); // throws without a density
        }
    }

    private static final String STEPS_ONLY = "a gradient optimizer that only takes steps (adam)";

    /**
     * A gradient optimizer asked a mini-batch run for the value alone: refused, since the budget
     * of a mini-batch run pays for steps only.
     */
    private static final class ValueProbed extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ValueProbed(int m, String optimizer) {
            super(
                    "miniBatch "
                            + m
                            + " needs "
                            + STEPS_ONLY
                            + ": '"
                            + optimizer
                            + "' evaluates the value alone, which a mini-batch run cannot price");
        }
    }

    /** What {@link LearnStep#miniBatch(int)} needs: steps, the examples, no other batching. */
    private void checkMiniBatch(@Nullable GradientOptimizer gradient) {
        int m = settings.miniBatch();
        if (m == 0) {
            return;
        }
        String why = null;
        if (gradient == null) {
            why =
                    "needs "
                            + STEPS_ONLY
                            + ", got '"
                            + (settings.optimizer() != null
                                    ? settings.optimizer().name()
                                    : LoraHub.DEFAULT_OPTIMIZER)
                            + "'";
        } else if (m > examples.size()) {
            why = "exceeds the " + examples.size() + " examples";
        } else if (settings.batchSize() != 0) {
            why = "cannot be combined with batchSize " + settings.batchSize();
        } else if (settings.earlyStopping()) {
            why = "cannot be combined with earlyStopping";
        } else if (settings.budget() < GradientOptimizer.COST_PER_STEP + 1) {
            why =
                    "needs a budget of at least "
                            + (GradientOptimizer.COST_PER_STEP + 1)
                            + " forward-equivalents (one epoch and the final forward), got "
                            + settings.budget();
        }
        if (why != null) {
            throw new IllegalArgumentException("miniBatch " + m + " " + why);
        }
    }

    /** The gradient-free optimizer, or null when a gradient optimizer is set. */
    private Optimizer optimizer() {
        if (settings.gradientOptimizer() != null) {
            return null;
        }
        Optimizer o = settings.optimizer();
        return o != null ? o : Optimizers.byName(LoraHub.DEFAULT_OPTIMIZER);
    }

    /**
     * The {@code base_model_name_or_path} of module 0 (of the first module that names one): an
     * existing path, else a hub id looked up in the
     * Hugging Face cache at the step's revision, else the revision PEFT recorded in the adapter
     * config ({@code "revision"}), else main.
     */
    private BaseModel openBaseModel() {
        AdapterConfig config = LoraHub.namedBase(pool).config();
        String name = config.baseModelNameOrPath();
        if (name.isEmpty()) {
            throw new IllegalStateException(
                    "no module names its base model (base_model_name_or_path; a llama.cpp .gguf"
                            + " adapter records none): run on a model with .on(model)");
        }
        HfCache cache = settings.hfCache() != null ? settings.hfCache() : HfCache.fromEnvironment();
        String revision =
                settings.revision() != null ? settings.revision() : recordedRevision(config);
        try {
            return ModelBackends.load(cache.locate(name, revision), settings.dtype());
        } catch (ModelNotFoundException e) {
            throw new ModelNotFoundException(lookedFor(name, revision) + e.getMessage(), e);
        } catch (NotInCacheException e) {
            throw new NotInCacheException(lookedFor(name, revision) + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load base model '" + name + "'", e);
        }
    }

    /**
     * What the run looked for, for a lookup failure: the module, its config file, key and value.
     */
    private String lookedFor(String name, @Nullable String revision) {
        LoraModule first = LoraHub.namedBase(pool);
        Path from = first.sourceFolders().stream().findFirst().orElse(null);
        return "base model of module '"
                + first.name()
                + "' ("
                + (from == null
                        ? "its adapter config"
                        : Files.isDirectory(from) ? from.resolve("adapter_config.json") : from)
                + " base_model_name_or_path '"
                + name
                + "'"
                + (revision != null ? ", revision '" + revision + "'" : "")
                + "; or pass a loaded model with .on(model)): ";
    }

    /** PEFT's {@code "revision"} key (the base model's revision), when it is a string. */
    private static @Nullable String recordedRevision(AdapterConfig config) {
        String raw = config.extraJson().get("revision");
        if (raw == null) {
            return null;
        }
        try {
            JsonNode n = StrictJson.read(new ObjectMapper(), raw);
            return n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void checkTargets(BaseModel model) {
        Map<String, LinearShape> linears = model.linearModules();
        String modelName = "the " + model.modelType() + " base model";
        for (LoraModule m : pool) {
            for (LoraLayer layer : m.layers().values()) {
                LinearShape.targetOf(linears, modelName, m.name(), layer);
            }
        }
    }

    /**
     * @return why the run must stop now ({@code CANCELLED} for a cancelled handle or an interrupted
     *     thread, {@code TIME_LIMIT_REACHED}), or null to go on
     */
    private LoraHubResult.@Nullable State stopRequested() {
        if (stop != null) {
            return stop;
        }
        Cancellation c = settings.cancellation();
        Duration limit = settings.timeLimit();
        if (runner.isInterrupted()) {
            // Cleared while the run finishes (hashing and merging may read files, which an
            // interrupted thread cannot: ClosedByInterruptException) and set again at its end.
            interrupted = Thread.currentThread() == runner && Thread.interrupted();
            stop = LoraHubResult.State.CANCELLED;
        } else if (c != null && c.isCancelled()) {
            stop = LoraHubResult.State.CANCELLED;
        } else if (limit != null && System.nanoTime() - startNanos >= limit.toNanos()) {
            stop = LoraHubResult.State.TIME_LIMIT_REACHED;
        }
        return stop;
    }

    /** Unwinds the optimizer from inside the objective when the run must stop. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final LoraHubResult.State state;

        Stopped(LoraHubResult.State state) {
            super(state.name(), null, false, false);
            this.state = state;
        }
    }

    private static @Nullable Stopped stoppedIn(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof Stopped s) {
                return s;
            }
        }
        return null;
    }

    private List<LoraModule> select(@Nullable BaseModel model, Map<String, Double> singleLosses) {
        List<LoraModule> out = new ArrayList<>();
        ModuleSelection sel = settings.selection();
        if (sel instanceof ModuleSelection.Random r) {
            for (int i : new PythonRandom(settings.seed()).sample(pool.size(), r.k())) {
                out.add(pool.get(i));
            }
        } else if (sel instanceof ModuleSelection.LowestLoss l) {
            {
                double[] losses = new double[pool.size()];
                Integer[] order = new Integer[pool.size()];
                for (int i = 0; i < losses.length; i++) {
                    order[i] = i;
                    // a stopped run ranks the modules it did not score last, as NaN
                    boolean scored = model != null && stopRequested() == null;
                    losses[i] = scored ? loss(model, pool.get(i)) : Double.NaN;
                    if (scored) {
                        singleLosses.put(pool.get(i).name(), losses[i]);
                        selectionCost++;
                    }
                }
                // NaN ranks last; the sort is stable, so ties keep pool order
                Arrays.sort(
                        order,
                        Comparator.comparingDouble(
                                (Integer i) ->
                                        Double.isNaN(losses[i]) ? Double.MAX_VALUE : losses[i]));
                for (int i = 0; i < l.k(); i++) {
                    out.add(pool.get(order[i]));
                }
            }
        } else {
            out.addAll(pool);
        }
        return out;
    }

    /** The reference's {@code default_get_loss}: batch losses summed, divided by the examples. */
    private double loss(BaseModel model, LoraModule adapter) {
        double sum = 0.0;
        for (EncodedBatch b : batches) {
            sum += model.loss(adapter, b);
        }
        return sum / examples.size();
    }

    private LoraHubResult search(
            @Nullable BaseModel model,
            Optimizer optimizer,
            List<LoraModule> selected,
            Map<String, Double> singleLosses) {
        List<String> names = selected.stream().map(LoraModule::name).toList();
        int n = selected.size();
        // Hash before searching: a weights file changed since loading fails now, not after it.
        stopRequested(); // takes in a pending interrupt, so that hashing can read the files
        List<Provenance.ModuleRef> refs = moduleRefs(selected);
        GradientOptimizer gradient = settings.gradientOptimizer();
        settings.listener()
                .onStart(
                        names,
                        gradient != null
                                ? gradient.maxEvaluations(settings.budget())
                                : settings.budget());
        Search search = new Search(model, selected, batches, examples.size(), true);
        SearchSpace space = search.space();
        long earlyStoppingCost = 0;
        OptimizationResult opt = null;
        LoraHubResult.State stopped = stopRequested();
        if (stopped == null) {
            try {
                int budget = settings.budget();
                if (settings.earlyStopping()) {
                    EarlyStop stop = earlyStop(model, selected, gradient);
                    budget = stop.steps() * GradientOptimizer.COST_PER_STEP;
                    earlyStoppingCost = stop.cost();
                }
                MiniBatches minis =
                        settings.miniBatch() > 0
                                ? new MiniBatches(
                                        laidOut.size(), settings.miniBatch(), settings.seed())
                                : null;
                if (minis != null) {
                    // whole epochs, each costing one full-batch step, and the final forward
                    budget =
                            minis.stepBudget(
                                    (settings.budget() - 1) / GradientOptimizer.COST_PER_STEP);
                }
                opt =
                        gradient != null
                                ? gradient.minimize(
                                        minis != null
                                                ? search.miniBatchObjective(minis)
                                                : search.gradientObjective(),
                                        space,
                                        budget,
                                        settings.seed())
                                : optimizer instanceof AskTellOptimizer batched
                                        ? batched.minimizeBatched(
                                                search::evaluate,
                                                space,
                                                settings.budget(),
                                                settings.seed(),
                                                OptimizationListener.NONE)
                                        : optimizer.minimize(
                                                w -> search.evaluate(List.of(w))[0],
                                                space,
                                                settings.budget(),
                                                settings.seed());
            } catch (RuntimeException e) {
                Stopped s = stoppedIn(e);
                if (s == null) {
                    throw e;
                }
                stopped = s.state;
            }
        }
        // stopped: the lowest finite score evaluated, whatever the optimizer would have reported
        TracePoint bestPoint = bestOf(search.trace, opt == null ? null : opt.bestPoint());
        if (settings.miniBatch() > 0) {
            // mini-batch values are not comparable: the final point, scored on every example
            // unless the run was stopped (then unscored)
            try {
                bestPoint =
                        stopped == null && opt != null ? search.scoreFinalPoint() : search.last();
            } catch (Stopped s) {
                stopped = s.state;
                bestPoint = search.last();
            } finally {
                search.miniBatchCache.values().forEach(EncodedBatch::close);
            }
        }
        LoraHubResult.State state;
        double[] weights = bestPoint == null ? new double[space.dimension()] : bestPoint.weights();
        if (stopped != null) {
            state = stopped;
        } else if (bestPoint == null) {
            state = LoraHubResult.State.FAILED;
        } else {
            state =
                    opt.state() == OptimizationResult.State.CONVERGED
                            ? LoraHubResult.State.CONVERGED
                            : LoraHubResult.State.COMPLETED;
        }
        LoraModule merged = search.compose(weights);
        LoraHubResult.Timing timing =
                new LoraHubResult.Timing(
                        Duration.ofNanos(System.nanoTime() - search.start),
                        Duration.ofNanos(search.forwardNanos),
                        Duration.ofNanos(search.compositionNanos));
        LoraHubResult result =
                new LoraHubResult(
                        names,
                        search.layerPaths(),
                        weights,
                        merged,
                        bestPoint == null ? Double.NaN : bestPoint.score(),
                        bestPoint == null ? Double.NaN : bestPoint.loss(),
                        search.trace,
                        state,
                        timing,
                        provenance(
                                model, gradient != null ? gradient.name() : optimizer.name(), refs),
                        singleLosses,
                        selectionCost + earlyStoppingCost + search.forwardEquivalents());
        LOG.info(
                "LoraHub: {} modules, {} examples, {} evaluations, best score {} (loss {}), {}, {}"
                        + " ms",
                n,
                examples.size(),
                search.trace.size(),
                result.bestScore(),
                result.bestLoss(),
                state,
                timing.wall().toMillis());
        settings.listener().onFinish(result);
        return result;
    }

    /** What leave-one-out early stopping chose, and what it cost in forward-equivalents. */
    private record EarlyStop(int steps, long cost) {}

    /**
     * Leave-one-out over the examples: the gradient optimizer runs on all but example {@code j}
     * with the whole budget; the held-out loss of example {@code j} is measured at the point of
     * every step (one batched forward each); the step count with the lowest mean held-out loss wins
     * (the earliest on ties).
     */
    private EarlyStop earlyStop(
            BaseModel model, List<LoraModule> selected, GradientOptimizer gradient) {
        int k = laidOut.size();
        double[] heldOutLoss = null;
        long cost = 0;
        for (int j = 0; j < k; j++) {
            List<FewShotExample> train = new ArrayList<>(laidOut);
            FewShotExample heldOut = train.remove(j);
            List<EncodedBatch> trainBatches = encode(model, train);
            try (EncodedBatch heldOutBatch = model.encode(List.of(heldOut))) {
                Search fold = new Search(model, selected, trainBatches, k - 1, false);
                OptimizationResult r =
                        gradient.minimize(
                                fold.gradientObjective(),
                                fold.space(),
                                settings.budget(),
                                settings.seed());
                List<LoraModule> iterates = new ArrayList<>();
                for (Evaluation e : r.history()) {
                    iterates.add(fold.compose(e.point()));
                }
                double[] losses = model.losses(iterates, heldOutBatch);
                cost += fold.cost + iterates.size(); // one held-out forward per step
                if (heldOutLoss == null) {
                    heldOutLoss = new double[losses.length];
                }
                for (int t = 0; t < Math.min(losses.length, heldOutLoss.length); t++) {
                    heldOutLoss[t] += Double.isFinite(losses[t]) ? losses[t] / k : Double.NaN;
                }
            } finally {
                trainBatches.forEach(EncodedBatch::close);
            }
        }
        int best = 0;
        for (int t = 1; t < heldOutLoss.length; t++) {
            if (heldOutLoss[t] < heldOutLoss[best] || Double.isNaN(heldOutLoss[best])) {
                best = t;
            }
        }
        LOG.debug("early stopping: held-out losses {}, {} steps", heldOutLoss, best + 1);
        return new EarlyStop(best + 1, cost);
    }

    /**
     * The objective over a run: composes candidates, scores them in one batched backend call per
     * example batch, records the trace and tells the listener.
     */
    private final class Search {
        final @Nullable BaseModel model;
        final List<LoraModule> selected;
        final List<EncodedBatch> searchBatches;
        final int exampleCount;

        /** Whether evaluations go to the trace's listener (not for early stopping's folds). */
        final boolean report;

        /** The targeted layers (of the first module), in order: one weight each per module. */
        final List<String> layers;

        final List<TracePoint> trace = new ArrayList<>();
        final long start = System.nanoTime();
        long forwardNanos;
        long compositionNanos;

        /** Forward-equivalents: 1 per evaluation, 3 per value-and-gradient evaluation. */
        long cost;

        /** Examples seen by mini-batch value-and-gradient evaluations (cost: 3 per k). */
        long miniBatchExamples;

        /**
         * Mini-batches encoded once, by their example indices in order (the run closes them): with
         * 5 examples there are at most 5 of 1 example and 20 of 2.
         */
        final Map<String, EncodedBatch> miniBatchCache = new LinkedHashMap<>();

        double best = Double.POSITIVE_INFINITY;

        /** The layers of the selected modules: where weight gradients are needed. */
        final java.util.Set<String> paths = new java.util.LinkedHashSet<>();

        Search(
                @Nullable BaseModel model,
                List<LoraModule> selected,
                List<EncodedBatch> searchBatches,
                int exampleCount,
                boolean report) {
            this.model = model;
            this.selected = selected;
            this.searchBatches = searchBatches;
            this.exampleCount = exampleCount;
            this.report = report;
            for (LoraModule m : selected) {
                paths.addAll(m.layers().keySet());
            }
            this.layers = List.copyOf(selected.get(0).layers().keySet());
        }

        /** The layers weighted one by one, or an empty list with one weight per module. */
        List<String> layerPaths() {
            return settings.perLayerWeights() ? layers : List.of();
        }

        /** {@code n} weights, or {@code n * L} per layer (module-major: {@code w[i * L + l]}). */
        SearchSpace space() {
            int d = selected.size() * (settings.perLayerWeights() ? layers.size() : 1);
            return SearchSpace.box(d, settings.lowerBound(), settings.upperBound(), new double[d]);
        }

        /** The score with its gradient (3 forward-equivalents) or alone (1). */
        GradientObjective gradientObjective() {
            return new GradientObjective() {
                @Override
                public double valueAndGradient(double[] x, double[] gradient) {
                    return evaluateWithGradient(x, gradient);
                }

                @Override
                public double value(double[] x) {
                    return evaluate(List.of(x))[0];
                }
            };
        }

        /**
         * The score and its gradient at {@code w} (CAT composition): {@code d score / d w_i = sum_l
         * <dloss/dW_l, s_i B_il A_il> + lambda sign(w_i) / N}, the loss summed over batches and
         * divided by the number of examples as {@link #evaluate} does.
         */
        double evaluateWithGradient(double[] w, double[] gradient) {
            throwIfStopped();
            double score =
                    scoreWithGradient(w, gradient, searchBatches, exampleCount);
            cost += GradientOptimizer.COST_PER_STEP;
            return score;
        }

        /**
         * Value and gradient on the next mini-batch {@code M} of {@code minis}: the loss {@code
         * nb * (T_M / T) * tokenMean(M) / k} ({@code nb} mini-batches per epoch, {@code T_M} and
         * {@code T} the labelled tokens of {@code M} and of all {@code k} examples), whose mean
         * over an epoch is the full-batch loss {@code tokenMean(all) / k}; plus the L1 term.
         */
        GradientObjective miniBatchObjective(MiniBatches minis) {
            int allTokens = searchBatches.get(0).labelledTokens();
            return new GradientObjective() {
                @Override
                public double value(double[] x) {
                    throw new ValueProbed(minis.size(), settings.gradientOptimizer().name());
                }

                @Override
                public double valueAndGradient(double[] x, double[] gradient) {
                    return miniBatchStep(minis, allTokens, x, gradient);
                }
            };
        }

        private double miniBatchStep(
                MiniBatches minis, int allTokens, double[] x, double[] gradient) {
            throwIfStopped();
            int[] picked = minis.next();
            EncodedBatch b =
                    miniBatchCache.computeIfAbsent(
                            Arrays.toString(picked),
                            key -> {
                                List<FewShotExample> chunk = new ArrayList<>(picked.length);
                                for (int i : picked) {
                                    chunk.add(laidOut.get(i));
                                }
                                return model.encode(chunk);
                            });
            double divisor =
                    (double) allTokens
                            * exampleCount
                            / ((double) minis.perEpoch() * b.labelledTokens());
            double score = scoreWithGradient(x, gradient, List.of(b), divisor);
            miniBatchExamples += picked.length;
            return score;
        }

        /**
         * The last point evaluated, scored again on every example (one forward): what a mini-batch
         * run returns. Null if nothing was evaluated or the score is not finite.
         */
        @Nullable TracePoint scoreFinalPoint() {
            if (trace.isEmpty()) {
                return null;
            }
            evaluate(List.of(trace.get(trace.size() - 1).weights()));
            return last();
        }

        /** The last point evaluated, null if none or its score is not finite. */
        @Nullable TracePoint last() {
            TracePoint p = trace.isEmpty() ? null : trace.get(trace.size() - 1);
            return p != null && Double.isFinite(p.score()) ? p : null;
        }

        /** Forward-equivalents spent: mini-batch steps cost their share of a full step. */
        long forwardEquivalents() {
            long share = GradientOptimizer.COST_PER_STEP * miniBatchExamples;
            return cost + (share + exampleCount - 1) / exampleCount;
        }

        /**
         * The score {@code sum_b loss_b / divisor + lambda mean|w|} over {@code batches} and its
         * gradient.
         */
        private double scoreWithGradient(
                double[] w, double[] gradient, List<EncodedBatch> batches, double divisor) {
            DifferentiableModel dm = (DifferentiableModel) model;
            LoraModule adapter = compose(w);
            long t0 = System.nanoTime();
            double lossSum = 0.0;
            double[] g = new double[w.length];
            boolean perLayer = settings.perLayerWeights();
            for (EncodedBatch b : batches) {
                LossGradient lg = dm.lossGradient(adapter, b, paths);
                lossSum += lg.loss();
                for (int i = 0; i < selected.size(); i++) {
                    for (int l = 0; l < layers.size(); l++) {
                        LoraLayer layer = selected.get(i).layers().get(layers.get(l));
                        float[] gw = lg.weightGradients().get(layer.modulePath());
                        if (gw == null) {
                            throw new IllegalStateException(
                                    "the "
                                            + model.modelType()
                                            + " model returned no gradient for '"
                                            + layer.modulePath()
                                            + "'");
                        }
                        g[perLayer ? i * layers.size() + l : i] +=
                                CatGradient.directional(gw, layer);
                    }
                }
            }
            forwardNanos += System.nanoTime() - t0;
            double loss = lossSum / divisor;
            double lambda = settings.regularization();
            for (int i = 0; i < g.length; i++) {
                gradient[i] = g[i] / divisor + lambda * Math.signum(w[i]) / w.length;
            }
            return record(w, loss, loss + lambda * meanAbs(w));
        }

        private double record(double[] w, double loss, double score) {
            if (Double.isFinite(score) && score < best) {
                best = score;
            }
            TracePoint p =
                    new TracePoint(
                            trace.size() + 1,
                            w,
                            loss,
                            score,
                            best,
                            Duration.ofNanos(System.nanoTime() - start));
            trace.add(p);
            if (report) {
                settings.listener().onEvaluation(p);
            }
            return score;
        }

        /** Unwinds the optimizer when the run must stop (or has no model: stopped before it). */
        private void throwIfStopped() {
            LoraHubResult.State stop = stopRequested();
            if (stop != null || model == null) {
                throw new Stopped(stop != null ? stop : LoraHubResult.State.CANCELLED);
            }
        }

        LoraModule compose(double[] w) {
            long t0 = System.nanoTime();
            LoraModule merged;
            if (settings.perLayerWeights()) {
                Map<String, double[]> byLayer = new LinkedHashMap<>();
                for (int l = 0; l < layers.size(); l++) {
                    double[] wl = new double[selected.size()];
                    for (int i = 0; i < wl.length; i++) {
                        wl[i] = w[i * layers.size() + l];
                    }
                    byLayer.put(layers.get(l), wl);
                }
                merged = settings.composer().mergePerLayer(MERGED_NAME, selected, byLayer);
            } else {
                merged = settings.composer().merge(MERGED_NAME, selected, w);
            }
            compositionNanos += System.nanoTime() - t0;
            return merged;
        }

        double[] evaluate(List<double[]> points) {
            throwIfStopped();
            List<LoraModule> adapters = new ArrayList<>(points.size());
            for (double[] w : points) {
                adapters.add(compose(w));
            }
            long t0 = System.nanoTime();
            double[] losses = new double[points.size()];
            for (EncodedBatch b : searchBatches) {
                double[] batchLosses = model.losses(adapters, b);
                for (int i = 0; i < losses.length; i++) {
                    losses[i] += batchLosses[i];
                }
            }
            forwardNanos += System.nanoTime() - t0;
            cost += points.size();
            double[] scores = new double[points.size()];
            for (int i = 0; i < scores.length; i++) {
                double[] w = points.get(i);
                double loss = losses[i] / exampleCount;
                scores[i] = record(w, loss, loss + settings.regularization() * meanAbs(w));
            }
            return scores;
        }
    }

    /**
     * The evaluation at the optimizer's best point; the lowest finite score if the optimizer
     * reported a point it never evaluated; null if no score was finite.
     */
    private static @Nullable TracePoint bestOf(
            List<TracePoint> trace, double @Nullable [] reported) {
        TracePoint lowest = null;
        TracePoint match = null;
        for (TracePoint p : trace) {
            if (!Double.isFinite(p.score())) {
                continue;
            }
            if (lowest == null || p.score() < lowest.score()) {
                lowest = p;
            }
            if (reported != null
                    && Arrays.equals(p.weights(), reported)
                    && (match == null || p.score() < match.score())) {
                match = p;
            }
        }
        return match != null ? match : lowest;
    }

    private static List<Provenance.ModuleRef> moduleRefs(List<LoraModule> selected) {
        List<Provenance.ModuleRef> refs = new ArrayList<>();
        for (LoraModule m : selected) {
            refs.add(
                    m.sha256()
                            .map(h -> new Provenance.ModuleRef(m.name(), h, Provenance.FILE_HASH))
                            .orElseGet(
                                    () ->
                                            new Provenance.ModuleRef(
                                                    m.name(),
                                                    ContentHash.sha256(m),
                                                    Provenance.CONTENT_HASH)));
        }
        return refs;
    }

    private Provenance provenance(
            @Nullable BaseModel model, String optimizerName, List<Provenance.ModuleRef> refs) {
        Provenance.BaseModelSource source =
                model == null ? Provenance.BaseModelSource.UNKNOWN : ModelProvenance.of(model);
        return new Provenance(
                refs,
                pool.size(),
                settings.selection().describe(),
                model != null && settings.model() != null
                        ? ModelProvenance.name(model, source)
                        : LoraHub.namedBase(pool).config().baseModelNameOrPath(),
                examples.size(),
                strategyName(settings.composer()),
                optimizerName,
                settings.budget(),
                settings.seed(),
                settings.lowerBound(),
                settings.upperBound(),
                settings.regularization(),
                settings.batchSize(),
                Provenance.currentLibraryVersion(),
                Instant.now(),
                source);
    }

    /**
     * @return e.g. {@code LORAHUB} or {@code TIES, density=0.5, majoritySign=TOTAL}
     */
    static String strategyName(Composer composer) {
        String s = composer.toString();
        String prefix = "Composer[";
        return s.startsWith(prefix) && s.endsWith("]")
                ? s.substring(prefix.length(), s.length() - 1)
                : s;
    }

    private static double meanAbs(double[] w) {
        double s = 0.0;
        for (double x : w) {
            s += Math.abs(x);
        }
        return s / w.length;
    }
}
