package dev.lorahub;

import dev.lorahub.io.HfCache;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.WeightDtype;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The second step of {@link LoraHub}: modules and examples given; options return a new step, and
 * {@link #run()} does the work. Immutable and reusable: each {@code run()} is independent.
 */
public final class LearnStep {
    private final List<LoraModule> modules;
    private final List<FewShotExample> examples;
    private final LearnSettings settings;

    LearnStep(List<LoraModule> modules, List<FewShotExample> examples, LearnSettings settings) {
        this.modules = modules;
        this.examples = examples;
        this.settings = settings;
    }

    private LearnStep with(LearnSettings s) {
        return new LearnStep(modules, examples, s);
    }

    /**
     * Uses a loaded base model instead of resolving module 0's {@code base_model_name_or_path}
     * through the {@link dev.lorahub.spi.ModelBackend}s on the class path. The caller keeps
     * ownership: the run does not close it.
     *
     * @param model the base model
     * @return a new step
     */
    public LearnStep on(BaseModel model) {
        return with(settings.withModel(Objects.requireNonNull(model, "model")));
    }

    /**
     * The Hugging Face cache in which module 0's {@code base_model_name_or_path} is looked up when
     * it is a hub id rather than an existing path (no {@link #on(BaseModel)}). Nothing is ever
     * downloaded.
     *
     * @param cache the cache (default: {@link HfCache#fromEnvironment()}, read at {@link #run()})
     * @return a new step
     */
    public LearnStep hfCache(HfCache cache) {
        return with(settings.withHfCache(Objects.requireNonNull(cache, "cache")));
    }

    /**
     * The revision of the base model when module 0's {@code base_model_name_or_path} is a hub id
     * (see {@link #hfCache(HfCache)}).
     *
     * @param revision a branch, tag or commit (default: the adapter config's {@code revision}, as
     *     PEFT records it, else {@value HfCache#DEFAULT_REVISION})
     * @return a new step
     */
    public LearnStep revision(String revision) {
        return with(settings.withRevision(Objects.requireNonNull(revision, "revision")));
    }

    /**
     * How the base model loaded from module 0's {@code base_model_name_or_path} keeps its weight
     * matrices (no effect with {@link #on(BaseModel)}: load that one with {@link
     * dev.lorahub.model.ModelBackends#load(java.nio.file.Path, WeightDtype)}).
     *
     * @param dtype {@link WeightDtype#F32} (default, exact) or {@link WeightDtype#F16} (half the
     *     memory)
     * @return a new step
     */
    public LearnStep dtype(WeightDtype dtype) {
        return with(settings.withDtype(Objects.requireNonNull(dtype, "dtype")));
    }

    /**
     * How the text examples are laid out for the model (pre-tokenized ones are used as they are).
     * Default: the layout the model declares ({@link BaseModel#template()}; for the embedded hub
     * {@code "{input}>"}), {@link ExampleTemplate#PLAIN} when it declares none.
     *
     * @param template the layout, e.g. {@code ExampleTemplate.of("{input}>")}
     * @return a new step
     */
    public LearnStep template(ExampleTemplate template) {
        return with(settings.withTemplate(Objects.requireNonNull(template, "template")));
    }

    /**
     * @param optimizer the optimizer (default: {@code cobyla} as NGOpt runs it)
     * @return a new step
     */
    public LearnStep optimizer(Optimizer optimizer) {
        return with(settings.withOptimizer(Objects.requireNonNull(optimizer, "optimizer")));
    }

    /**
     * Learns the weights by gradient instead of a gradient-free search (beyond the paper). Needs a
     * base model that gives gradients ({@link dev.lorahub.spi.DifferentiableModel}) and exact
     * composition ({@link MergeStrategy#CAT}); the budget then counts forward-equivalents (a step
     * costs {@value GradientOptimizer#COST_PER_STEP}).
     *
     * @param optimizer the gradient optimizer, e.g. {@link dev.lorahub.optim.AdamOptimizer}
     * @return a new step
     */
    public LearnStep optimizer(GradientOptimizer optimizer) {
        return with(settings.withGradientOptimizer(Objects.requireNonNull(optimizer, "optimizer")));
    }

    /**
     * @param strategy how candidates are merged (default {@link MergeStrategy#LORAHUB}, the
     *     reference); {@link MergeStrategy#CAT} is the exact {@code sum_i w_i s_i B_i A_i}. For a
     *     strategy that needs a density or other setting, use {@link #composer(Composer)}.
     * @return a new step
     */
    public LearnStep strategy(MergeStrategy strategy) {
        return composer(Composer.of(Objects.requireNonNull(strategy, "strategy")));
    }

    /**
     * @param composer how candidates are merged, with its settings (density, SVD rank, seed)
     * @return a new step
     */
    public LearnStep composer(Composer composer) {
        return with(settings.withComposer(Objects.requireNonNull(composer, "composer")));
    }

    /**
     * @param name an optimizer known to {@link dev.lorahub.optim.Optimizers#byName(String)}, e.g.
     *     {@code cobyla} or {@code random}, or to {@link
     *     dev.lorahub.optim.Optimizers#gradientByName(String)} ({@code adam}, {@code descent})
     * @return a new step
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public LearnStep optimizer(String name) {
        if (dev.lorahub.optim.Optimizers.gradientNames()
                .contains(name.toLowerCase(java.util.Locale.ROOT))) {
            return optimizer(dev.lorahub.optim.Optimizers.gradientByName(name));
        }
        return optimizer(dev.lorahub.optim.Optimizers.byName(name));
    }

    /**
     * @param budget the maximum number of objective evaluations, at least 1 (default 40)
     * @return a new step
     */
    public LearnStep budget(int budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("budget must be >= 1 evaluation, got " + budget);
        }
        return with(settings.withBudget(budget));
    }

    /**
     * @param seed the seed of module selection and of the optimizer (default 42)
     * @return a new step
     */
    public LearnStep seed(long seed) {
        return with(settings.withSeed(seed));
    }

    /**
     * @param lower the lower bound of every weight, below 0 (default -1.5)
     * @param upper the upper bound of every weight, above 0 (default 1.5)
     * @return a new step
     */
    public LearnStep bounds(double lower, double upper) {
        if (!(lower < 0.0 && upper > 0.0) || Double.isInfinite(lower) || Double.isInfinite(upper)) {
            throw new IllegalArgumentException(
                    "bounds must be finite with lower < 0 < upper (the search starts at w = 0), got"
                            + " ["
                            + lower
                            + ", "
                            + upper
                            + "]");
        }
        return with(settings.withBounds(lower, upper));
    }

    /**
     * @param factor {@code lambda} in {@code score = loss + lambda * mean |w|}, finite and {@code
     *     >= 0} (default 0.05; 0 turns the regulariser off)
     * @return a new step
     */
    public LearnStep regularization(double factor) {
        if (!(factor >= 0.0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException(
                    "regularization must be finite and >= 0, got " + factor);
        }
        return with(settings.withRegularization(factor));
    }

    /**
     * @param size examples per forward batch, at least 1 (default: all examples in one batch)
     * @return a new step
     */
    public LearnStep batchSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + size);
        }
        return with(settings.withBatchSize(size));
    }

    /**
     * @param listener receives every evaluation; replaces any listener set before
     * @return a new step
     */
    public LearnStep listener(LoraHubListener listener) {
        return with(settings.withListener(Objects.requireNonNull(listener, "listener")));
    }

    /**
     * One weight per module and targeted layer instead of one per module (beyond the paper): with
     * {@code N} modules and {@code L} targeted layers the search runs in {@code N * L} dimensions,
     * {@code deltaW_l = sum_i w_il s_i B_il A_il}. Needs a gradient optimizer ({@link
     * #optimizer(GradientOptimizer)}), which gets all {@code N * L} derivatives from one backward.
     * The L1 term is {@code lambda} times the mean {@code |w_il|}. On the embedded hub it overfits
     * the 5 examples (docs/hub-and-demo.md).
     *
     * @param perLayer true for one weight per module and layer (default false)
     * @return a new step
     */
    public LearnStep perLayerWeights(boolean perLayer) {
        return with(settings.withPerLayerWeights(perLayer));
    }

    /**
     * Leave-one-out early stopping of a gradient optimizer (beyond the paper): for each of the
     * {@code k} examples, the optimizer runs on the other {@code k - 1} with the whole budget, and
     * the held-out example's loss is measured at every step's point; the step count {@code t*} with
     * the lowest mean held-out loss is then run on all {@code k} examples. Costs about {@code (4k/3
     * + 1)} times the budget in forward-equivalents (counted in {@link
     * LoraHubResult#forwardEquivalents()}), needs at least 2 examples and a gradient optimizer. On
     * the embedded hub it did not help (docs/hub-and-demo.md).
     *
     * @param enabled true to stop early (default false)
     * @return a new step
     */
    public LearnStep earlyStopping(boolean enabled) {
        return with(settings.withEarlyStopping(enabled));
    }

    /**
     * Stochastic mini-batches for a gradient optimizer (beyond the paper): each value-and-gradient
     * evaluation sees {@code m} of the {@code k} examples instead of all of them. Every epoch is a
     * fresh shuffle of the examples (seeded by {@link #seed(long)}) cut into {@code ceil(k / m)}
     * mini-batches, so each example is seen once per epoch: an epoch's forwards and backwards cover
     * the same examples as one full-batch step, and it is counted as one: {@value
     * GradientOptimizer#COST_PER_STEP} forward-equivalents. A budget {@code B} runs {@code
     * floor((B - 1) / 3)} epochs of {@code ceil(k / m)} steps, then one forward on all {@code k}
     * examples at the last point, which is the result (mini-batch values are not comparable with
     * each other, so no "best" is picked among them). A mini-batch's loss is scaled by its share
     * of the labelled tokens, so that the mean over an epoch of the mini-batch scores and
     * gradients is the full-batch score and gradient. The optimizer must only take steps (Adam
     * does; {@code descent}'s line search, which evaluates values alone, is refused when it
     * tries). Cannot be combined with {@link #batchSize(int)} or {@link #earlyStopping(boolean)}.
     * On the embedded hub Adam at learning rate 0.02 with {@code miniBatch(1)} scores more than
     * full-batch Adam at 20 to 90 forward-equivalents (docs/hub-and-demo.md, "Short budgets"),
     * though each forward-equivalent takes more time on that tiny model; {@link Recipe#SHORT}
     * runs it with Adam's moment rates set for such short runs.
     *
     * @param m examples per mini-batch, at least 1 and at most the number of examples (checked by
     *     {@link #run()})
     * @return a new step
     */
    public LearnStep miniBatch(int m) {
        if (m < 1) {
            throw new IllegalArgumentException("miniBatch must be >= 1, got " + m);
        }
        return with(settings.withMiniBatch(m));
    }

    /** No mini-batches (the default): what a recipe without them sets. */
    LearnStep fullBatches() {
        return with(settings.withMiniBatch(0));
    }

    /**
     * Sets the selection, the merge strategy, the optimizer and the budget to a named recipe;
     * options set afterwards override it. Without a recipe a run is {@link Recipe#PAPER}'s.
     *
     * @param recipe {@link Recipe#PAPER} (the default), {@link Recipe#BEST} or {@link Recipe#SHORT}
     * @return a new step
     */
    public LearnStep recipe(Recipe recipe) {
        return Objects.requireNonNull(recipe, "recipe").applyTo(this);
    }

    /**
     * Stops the run when {@code cancellation} is cancelled, from any thread: the run returns the
     * best result so far with state {@link LoraHubResult.State#CANCELLED} and the model restored.
     * Interrupting the thread that runs {@link #run()} does the same, without a handle (the
     * thread's interrupt status stays set). Both are noticed between evaluations.
     *
     * @param cancellation the handle (replaces any set before)
     * @return a new step
     */
    public LearnStep cancellation(Cancellation cancellation) {
        return with(
                settings.withCancellation(Objects.requireNonNull(cancellation, "cancellation")));
    }

    /**
     * Stops the run once {@code limit} has passed since {@link #run()} was called (model loading
     * included): no evaluation starts after it, and the run returns the best result so far with
     * state {@link LoraHubResult.State#TIME_LIMIT_REACHED}. The run may overrun the limit by the
     * evaluation in progress (one batch of candidates for batched optimizers) and the final merge.
     *
     * @param limit positive (default: none)
     * @return a new step
     */
    public LearnStep timeLimit(Duration limit) {
        Objects.requireNonNull(limit, "limit");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("timeLimit must be positive, got " + limit);
        }
        return with(settings.withTimeLimit(limit));
    }

    /**
     * @param selection which modules to compose (default {@link ModuleSelection#all()})
     * @return a new step
     */
    public LearnStep select(ModuleSelection selection) {
        return with(settings.withSelection(Objects.requireNonNull(selection, "selection")));
    }

    /**
     * Selects the modules, searches the weights and merges the modules at the best weights found.
     *
     * @return the result; running out of budget, being cancelled or interrupted and reaching the
     *     time limit are states of it, not exceptions
     * @throws IncompatibleModulesException if the strategy needs equal shapes and they differ
     * @throws IllegalArgumentException if the base model lacks a targeted module (named), the
     *     selection asks for more modules than given, or no backend supports the base model
     * @throws java.io.UncheckedIOException if the base model cannot be read
     */
    public LoraHubResult run() {
        return new LoraHubRun(modules, examples, settings).run();
    }
}
