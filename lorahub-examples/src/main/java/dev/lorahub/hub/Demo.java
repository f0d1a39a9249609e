package dev.lorahub.hub;

import dev.lorahub.Composer;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.LearnStep;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.ModuleSelection;
import dev.lorahub.Recipe;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.train.LoraTrainer;
import dev.lorahub.djl.train.LoraTrainingConfig;
import dev.lorahub.eval.AnswerEval;
import dev.lorahub.eval.EvalReport;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.optim.Optimizers;
import dev.lorahub.spi.EncodedBatch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The main job: for each held-out task of a hub, draw 5 examples with a seed and score every {@link
 * Method} by exact match on the task's test set. See docs/hub-and-demo.md.
 *
 * <p>It runs on what a user gets: the base is loaded by {@link ModelBackends} (lorahub-djl's
 * backend), the LoraHub rows are {@code LoraHub.compose(pool).fewShot(...).on(base).run()}, and
 * every row's answers come from {@link BaseModel#generateText} (batched greedy decoding, the
 * model's own tokenizer). Examples are text, laid out by the template the hub's base declares
 * ({@code {input}>}: the layout its modules were trained on) unless the settings override it.
 */
public final class Demo {
    /** Longest generated answer: the longest output (12 characters) plus slack. */
    static final int MAX_NEW_TOKENS = 16;

    /** Evaluations of {@code oracle_search}'s weight search over the task's own modules. */
    static final int ORACLE_BUDGET = 40;

    private final DemoSettings settings;
    private final DemoListener listener;

    /**
     * @param settings what to run
     * @param listener progress
     */
    public Demo(DemoSettings settings, DemoListener listener) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * @return the scores of every task and method
     * @throws IOException if the hub cannot be read
     */
    public DemoResult run() throws IOException {
        long start = System.nanoTime();
        HubLayout layout = new HubLayout(settings.hub());
        List<LoraModule> pool = new ArrayList<>();
        for (Task t : TaskSuite.poolTasks()) {
            pool.add(LoraModule.load(layout.module(t.name())));
        }
        List<Task> tasks = TaskSuite.heldOutTasks();
        if (settings.tasks() > 0) {
            tasks = tasks.subList(0, Math.min(settings.tasks(), tasks.size()));
        }
        int total = tasks.size() * Method.values().length;
        List<DemoResult.TaskReport> reports = new ArrayList<>();
        DjlRuntime.start(); // no network, quiet logs, threads: before DJL starts
        try (BaseModel base = ModelBackends.load(layout.base())) {
            ExampleTemplate template =
                    settings.template() != null ? settings.template() : base.template();
            for (Task task : tasks) {
                reports.add(runTask(task, layout, pool, base, template, total, reports.size()));
            }
        }
        return new DemoResult(reports, (System.nanoTime() - start) / 1e9);
    }

    private DemoResult.TaskReport runTask(
            Task task,
            HubLayout layout,
            List<LoraModule> pool,
            BaseModel base,
            ExampleTemplate template,
            int total,
            int taskIndex)
            throws IOException {
        String name = task.name();
        List<TaskExample> train = Jsonl.read(layout.heldOutTrain(name));
        List<TaskExample> test = Jsonl.read(layout.heldOutTest(name));
        test = test.subList(0, Math.min(settings.testExamples(), test.size()));
        List<TaskExample> shots = shots(train, name, settings);
        List<FewShotExample> fewShot =
                shots.stream().map(e -> FewShotExample.of(e.input(), e.output())).toList();
        Map<Method, Double> scores = new EnumMap<>(Method.class);
        Map<Method, List<String>> answers = new EnumMap<>(Method.class);
        Map<Method, Map<String, Double>> weights = new EnumMap<>(Method.class);
        Map<Method, Long> costs = new EnumMap<>(Method.class);
        List<LoraModule> own = ownModules(task, pool);
        LoraModule empty = new LoraModule("base", pool.get(0).config(), List.of());
        double[] singleLosses;
        try (EncodedBatch batch = base.encode(template.apply(fewShot))) {
            singleLosses = base.losses(pool, batch);
        }
        int done = taskIndex * Method.values().length;
        for (Method method : Method.values()) {
            List<String> queries = new ArrayList<>();
            for (TaskExample e : test) {
                queries.add(
                        method == Method.ICL
                                ? inContextPrompt(template, shots, e.input())
                                : template.prompt(e.input()));
            }
            LoraModule adapter =
                    switch (method) {
                        case ZERO_SHOT, ICL -> empty;
                        case BEST_SINGLE -> pool.get(argMin(singleLosses));
                        case UNIFORM -> {
                            double[] w = new double[pool.size()];
                            Arrays.fill(w, 1.0 / pool.size());
                            yield Composer.of(MergeStrategy.CAT).merge("uniform", pool, w);
                        }
                        case LORAHUB_REFERENCE, COBYLA_40, LORAHUB_BEST ->
                                record(
                                        method,
                                        lorahub(method, pool, fewShot, settings)
                                                .on(base)
                                                .template(template)
                                                .run(),
                                        weights,
                                        costs);
                        case RECIPE_SHORT, RECIPE_BEST ->
                                record(
                                        method,
                                        LoraHub.compose(pool)
                                                .fewShot(fewShot)
                                                .on(base)
                                                .template(template)
                                                .recipe(recipe(method))
                                                .seed(settings.seed())
                                                .run(),
                                        weights,
                                        costs);
                        case ORACLE_EXACT -> {
                            double[] ones = new double[own.size()];
                            Arrays.fill(ones, 1.0);
                            yield Composer.of(MergeStrategy.CAT).merge("oracle_exact", own, ones);
                        }
                        case ORACLE_SEARCH ->
                                record(
                                        method,
                                        LoraHub.compose(own)
                                                .fewShot(fewShot)
                                                .on(base)
                                                .template(template)
                                                .strategy(MergeStrategy.CAT)
                                                .optimizer(Optimizers.byName("quadratic"))
                                                .budget(ORACLE_BUDGET)
                                                .seed(settings.seed())
                                                .run(),
                                        weights,
                                        costs);
                        case LORA_5SHOT ->
                                LoraTrainer.of(fiveShotConfig(pool.get(0).config()))
                                        .train(
                                                llama(base),
                                                tokenized(template, fewShot),
                                                "lora_5shot",
                                                "base");
                        case LORA_FULL -> LoraModule.load(layout.ceiling(name));
                    };
            EvalReport report =
                    answers(
                            base,
                            adapter,
                            queries,
                            test.stream().map(TaskExample::output).toList());
            double em = report.exactMatch();
            scores.put(method, em);
            answers.put(method, report.predictions());
            listener.onProgress(
                    ++done, total, String.format("%s %s %.0f%%", name, method.id(), em));
        }
        return new DemoResult.TaskReport(
                name,
                scores,
                weights,
                pool.get(argMin(singleLosses)).name(),
                test.size(),
                answers,
                costs);
    }

    /** Keeps a LoraHub row's weights and cost; returns its merge. */
    private static LoraModule record(
            Method method,
            LoraHubResult r,
            Map<Method, Map<String, Double>> weights,
            Map<Method, Long> costs) {
        weights.put(method, r.weights());
        costs.put(method, r.forwardEquivalents());
        return r.merged();
    }

    /**
     * The held-out task's own single-skill modules, in pipeline order: {@code rev} and {@code atb}
     * for {@code rev_atb}. Every held-out task's skills have one in the pool (TaskSuite).
     */
    static List<LoraModule> ownModules(Task task, List<LoraModule> pool) {
        List<LoraModule> out = new ArrayList<>();
        for (Op op : task.ops()) {
            out.add(
                    pool.stream()
                            .filter(m -> m.name().equals(op.code()))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new IllegalStateException(
                                                    "held-out task "
                                                            + task.name()
                                                            + ": no pool module '"
                                                            + op.code()
                                                            + "'")));
        }
        return out;
    }

    /**
     * Every row's score, computed as {@code lorahub eval} and {@link AnswerEval} compute it: greedy
     * answers of at most {@value #MAX_NEW_TOKENS} tokens to prompts already laid out, all in one
     * batch, scored by exact match.
     */
    static EvalReport answers(
            BaseModel base, LoraModule adapter, List<String> prompts, List<String> references) {
        return AnswerEval.on(base)
                .adapter(adapter)
                .maxNewTokens(MAX_NEW_TOKENS)
                .batchSize(prompts.size())
                .runPrompts(prompts, references);
    }

    /**
     * The in-context prompt: each demonstration laid out as prompt + answer, then the query's
     * prompt, joined by {@code |}; with the hub's {@code {input}>} that is {@code in1>out1|...
     * |query>}.
     */
    static String inContextPrompt(ExampleTemplate template, List<TaskExample> demos, String query) {
        StringBuilder b = new StringBuilder();
        for (TaskExample d : demos) {
            b.append(template.prompt(d.input())).append(template.answer(d.output())).append('|');
        }
        return b.append(template.prompt(query)).toString();
    }

    /**
     * The examples as the gradient trainer takes them: {@code <s> prompt answer </s>} in the hub's
     * tokenizer, loss on the answer and EOS (the layout {@code LlamaBaseModel} encodes).
     */
    private static List<FewShotExample> tokenized(
            ExampleTemplate template, List<FewShotExample> examples) {
        Prompts prompts = new Prompts(new CharTokenizer());
        List<FewShotExample> out = new ArrayList<>();
        for (FewShotExample e : template.apply(examples)) {
            out.add(
                    prompts.withTarget(
                            prompts.tokenizer().encode(e.input().orElseThrow(), true),
                            e.output().orElseThrow()));
        }
        return out;
    }

    /**
     * The few-shot examples the demo draws for a task: {@code settings.shots()} of its training
     * examples, drawn with the seed {@code settings.seed() ^ task.hashCode()}.
     *
     * @param train the task's training examples
     * @param task the task's name
     * @param settings the demo's settings
     * @return the drawn examples
     */
    public static List<TaskExample> shots(
            List<TaskExample> train, String task, DemoSettings settings) {
        return draw(train, settings.shots(), settings.seed() ^ task.hashCode());
    }

    /**
     * A gradient-free LoraHub row of the demo as a LoraHub run, before the base model and the
     * layout are given: {@link Method#LORAHUB_REFERENCE} is the paper's recipe with 20 random
     * modules ({@link ModuleSelection#random(int)}, factor-wise merge, COBYLA, 40 evaluations);
     * {@link Method#LORAHUB_BEST} the library's best gradient-free recipe: the {@code
     * bestCandidates} modules with the lowest single-module loss ({@link
     * ModuleSelection#lowestLoss(int)}), merged exactly ({@link MergeStrategy#CAT}: {@code deltaW =
     * sum_i w_i s_i B_i A_i}), the configured optimizer with the configured budget; {@link
     * Method#COBYLA_40} the same selection and merge with the paper's optimizer and budget ({@value
     * LoraHub#DEFAULT_OPTIMIZER}, {@value LoraHub#DEFAULT_BUDGET} evaluations). Every other setting
     * is the reference's.
     *
     * @param method {@link Method#LORAHUB_REFERENCE}, {@link Method#COBYLA_40} or {@link
     *     Method#LORAHUB_BEST}
     * @param pool the module pool
     * @param fewShot the task's examples
     * @param settings the demo's settings (seed, best recipe)
     * @return the step, to be given {@code .on(base).template(template)} and run
     * @throws IllegalArgumentException for another method
     */
    public static LearnStep lorahub(
            Method method,
            List<LoraModule> pool,
            List<FewShotExample> fewShot,
            DemoSettings settings) {
        LearnStep step = LoraHub.compose(pool).fewShot(fewShot).seed(settings.seed());
        return switch (method) {
            case LORAHUB_REFERENCE ->
                    step.select(ModuleSelection.random(Math.min(20, pool.size())))
                            .optimizer(Optimizers.byName(LoraHub.DEFAULT_OPTIMIZER));
            case COBYLA_40 ->
                    lowestLossCat(step, pool, settings)
                            .optimizer(Optimizers.byName(LoraHub.DEFAULT_OPTIMIZER))
                            .budget(LoraHub.DEFAULT_BUDGET);
            case LORAHUB_BEST ->
                    lowestLossCat(step, pool, settings)
                            .optimizer(Optimizers.byName(settings.bestOptimizer()))
                            .budget(settings.bestBudget());
            default -> throw new IllegalArgumentException(method + " is not a LoraHub row");
        };
    }

    /** The library's gradient-free ingredients: the lowest-loss candidates, merged exactly. */
    private static LearnStep lowestLossCat(
            LearnStep step, List<LoraModule> pool, DemoSettings settings) {
        int k = Math.min(settings.bestCandidates(), pool.size());
        return step.select(ModuleSelection.lowestLoss(k)).strategy(MergeStrategy.CAT);
    }

    /**
     * @param method {@link Method#RECIPE_SHORT} or {@link Method#RECIPE_BEST}
     * @return the named recipe the row runs
     * @throws IllegalArgumentException for another method
     */
    static Recipe recipe(Method method) {
        return switch (method) {
            case RECIPE_SHORT -> Recipe.SHORT;
            case RECIPE_BEST -> Recipe.BEST;
            default -> throw new IllegalArgumentException(method + " is not a recipe row");
        };
    }

    private LoraTrainingConfig fiveShotConfig(AdapterConfig pool) {
        return new LoraTrainingConfig(
                pool.r(),
                pool.loraAlpha(),
                HubBuilder.TARGETS,
                0.0,
                settings.fiveShotLr(),
                1,
                settings.shots(),
                settings.fiveShotSteps(),
                settings.seed());
    }

    /** The LLaMA model under the backend's base model, for the 5-shot gradient LoRA. */
    static dev.lorahub.djl.llama.LlamaModel llama(BaseModel base) {
        if (!(base instanceof LlamaBaseModel l)) {
            throw new IllegalStateException(
                    "the hub's base should load as a LLaMA model, got "
                            + base.getClass().getName());
        }
        return l.model();
    }

    static List<TaskExample> draw(List<TaskExample> from, int k, long seed) {
        if (from.size() < k) {
            throw new IllegalArgumentException(
                    "need " + k + " examples to draw from, the file has " + from.size());
        }
        int[] p = new int[from.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<TaskExample> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(p.length - i);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
            out.add(from.get(p[i]));
        }
        return out;
    }

    private static int argMin(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] < v[best]) {
                best = i;
            }
        }
        return best;
    }
}
