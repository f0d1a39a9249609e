package dev.lorahub.hub;

import dev.lorahub.Composer;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.GradientOptimizer;
import dev.lorahub.LearnStep;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.ModuleSelection;
import dev.lorahub.Recipe;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.optim.AdamOptimizer;
import dev.lorahub.optim.DescentOptimizer;
import dev.lorahub.optim.Optimizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Which ingredient matters: runs LoraHub on the committed hub's held-out tasks with one ingredient
 * changed at a time (merge strategy, module selection, optimizer, budget, gradient options) and the
 * two oracles, and prints per variant the mean exact match per seed, over the seeds, the mean
 * cost in forward-equivalents per task (selection included, a backward counted as two forwards),
 * the wall and process CPU time of {@code run()} per task, and the mean loss on the examples at
 * the returned weights ({@link LoraHubResult#bestLoss()}).
 *
 * <pre>{@code
 * java -cp "lorahub-examples/target/lorahub.jar:lorahub-examples/target/lib/*" \
 *     dev.lorahub.hub.HubAblation [hubDir] [seeds] [variant regex]
 * }</pre>
 *
 * The draws are the demo's ({@link Demo#draw}: 5 examples with {@code seed ^ task.hashCode()},
 * seeds 42, 1, 2, ...), 100 test examples, greedy decoding, exact match.
 */
public final class HubAblation {
    /** One row: how to configure LoraHub on a pool (null = the task's own modules at weight 1). */
    private record Variant(String name, boolean ownModules, UnaryOperator<LearnStep> recipe) {}

    private HubAblation() {}

    private static Variant variant(
            String name,
            MergeStrategy strategy,
            ModuleSelection selection,
            String opt,
            int budget) {
        return new Variant(
                name,
                false,
                s ->
                        s.select(selection)
                                .strategy(strategy)
                                .optimizer(Optimizers.byName(opt))
                                .budget(budget));
    }

    private static Variant adam(String name, double lr, int steps, UnaryOperator<LearnStep> more) {
        return new Variant(
                name,
                false,
                s ->
                        more.apply(
                                s.strategy(MergeStrategy.CAT)
                                        .optimizer(new AdamOptimizer(lr))
                                        .budget(3 * steps)));
    }

    private static Variant gradient(String name, GradientOptimizer optimizer, int budget) {
        return new Variant(
                name,
                false,
                s -> s.strategy(MergeStrategy.CAT).optimizer(optimizer).budget(budget));
    }

    private static Variant miniBatch(int m, double lr, int budget) {
        return new Variant(
                "all 30, CAT, adam lr " + lr + ", mini-batch " + m + ", budget " + budget,
                false,
                s ->
                        s.strategy(MergeStrategy.CAT)
                                .optimizer(new AdamOptimizer(lr))
                                .miniBatch(m)
                                .budget(budget));
    }

    /**
     * {@code adam}, described by {@code what}, on mini-batches of {@code m} ({@code m = 0}: full
     * batch), at {@code budget}.
     */
    private static Variant scheduled(String what, AdamOptimizer adam, int m, int budget) {
        return new Variant(
                "all 30, CAT, adam "
                        + what
                        + (m > 0 ? ", mini-batch " + m : "")
                        + ", budget "
                        + budget,
                false,
                s -> {
                    LearnStep t = s.strategy(MergeStrategy.CAT).optimizer(adam).budget(budget);
                    return m > 0 ? t.miniBatch(m) : t;
                });
    }

    private static AdamOptimizer b07(double lr) {
        return new AdamOptimizer(lr).withBetas(0.7, 0.99);
    }

    /** The learning-rate schedules and moment rates measured at short budgets. */
    private static List<Variant> schedules() {
        List<Variant> out = new ArrayList<>();
        AdamOptimizer.Decay lin = AdamOptimizer.Decay.LINEAR;
        AdamOptimizer.Decay cos = AdamOptimizer.Decay.COSINE;
        for (double lr : new double[] {0.04, 0.06, 0.08}) {
            out.add(scheduled("linear " + lr, new AdamOptimizer(lr).withSchedule(lin, 0), 1, 20));
            out.add(scheduled("cosine " + lr, new AdamOptimizer(lr).withSchedule(cos, 0), 1, 20));
        }
        out.add(
                scheduled(
                        "cosine 0.06 warm-up 2",
                        new AdamOptimizer(0.06).withSchedule(cos, 2),
                        1,
                        20));
        out.add(
                scheduled(
                        "cosine 0.06 betas 0.8/0.99",
                        new AdamOptimizer(0.06).withSchedule(cos, 0).withBetas(0.8, 0.99),
                        1,
                        20));
        out.add(scheduled("linear 0.08", new AdamOptimizer(0.08).withSchedule(lin, 0), 2, 20));
        out.add(scheduled("linear 0.12", new AdamOptimizer(0.12).withSchedule(lin, 0), 2, 20));
        // grid 2: moment rates with constant and linearly decaying rates
        for (double[] b :
                new double[][] {{0.5, 0.9}, {0.7, 0.99}, {0.8, 0.99}, {0.8, 0.95}, {0.9, 0.99}}) {
            String betas = " betas " + b[0] + "/" + b[1];
            for (double lr : new double[] {0.02, 0.03}) {
                out.add(
                        scheduled(
                                "lr " + lr + betas,
                                new AdamOptimizer(lr).withBetas(b[0], b[1]),
                                1,
                                20));
            }
            for (double lr : new double[] {0.03, 0.04, 0.05}) {
                out.add(
                        scheduled(
                                "linear " + lr + betas,
                                new AdamOptimizer(lr).withSchedule(lin, 0).withBetas(b[0], b[1]),
                                1,
                                20));
            }
        }
        for (double lr : new double[] {0.03, 0.05}) {
            out.add(scheduled("linear " + lr, new AdamOptimizer(lr).withSchedule(lin, 0), 1, 20));
        }
        // grid 3: beta1 around 0.7, constant rates, m = 1; then m = 2 and full batch
        for (double[] b :
                new double[][] {{0.0, 0.99}, {0.6, 0.99}, {0.7, 0.999}, {0.7, 0.95}, {0.6, 0.9}}) {
            String betas = " betas " + b[0] + "/" + b[1];
            for (double lr : new double[] {0.03, 0.04}) {
                out.add(
                        scheduled(
                                "lr " + lr + betas,
                                new AdamOptimizer(lr).withBetas(b[0], b[1]),
                                1,
                                20));
            }
        }
        for (int budget : new int[] {30, 45, 60, 90, 225}) {
            out.add(
                    scheduled(
                            "lr 0.03 betas 0.7/0.99",
                            new AdamOptimizer(0.03).withBetas(0.7, 0.99),
                            1,
                            budget));
        }
        out.add(
                new Variant(
                        "recipe_short: .recipe(Recipe.SHORT)", false, s -> s.recipe(Recipe.SHORT)));
        out.add(scheduled("lr 0.04 betas 0.7/0.99", b07(0.04), 1, 20));
        for (double lr : new double[] {0.05, 0.08}) {
            out.add(scheduled("lr " + lr + " betas 0.7/0.99", b07(lr), 2, 20));
        }
        for (double lr : new double[] {0.05, 0.1}) {
            out.add(scheduled("lr " + lr + " betas 0.7/0.99", b07(lr), 0, 20));
        }
        return out;
    }

    /** Every variant, in table order. */
    static List<Variant> variants() {
        ModuleSelection low10 = ModuleSelection.lowestLoss(10);
        List<Variant> miniBatches = new ArrayList<>();
        for (int budget : new int[] {20, 30, 45}) {
            for (int m : new int[] {1, 2}) {
                for (double lr : new double[] {0.01, 0.02, 0.03, 0.05}) {
                    miniBatches.add(miniBatch(m, lr, budget));
                }
            }
        }
        miniBatches.add(miniBatch(1, 0.02, 225));
        for (int budget : new int[] {60, 90}) {
            miniBatches.add(miniBatch(1, 0.02, budget));
            miniBatches.add(miniBatch(2, 0.05, budget));
        }
        List<Variant> all = new ArrayList<>(List.of(
                variant(
                        "reference: LORAHUB, random 20, cobyla 40",
                        MergeStrategy.LORAHUB,
                        ModuleSelection.random(20),
                        "cobyla",
                        40),
                variant(
                        "CAT, random 20, cobyla 40",
                        MergeStrategy.CAT,
                        ModuleSelection.random(20),
                        "cobyla",
                        40),
                variant(
                        "LORAHUB, lowest-loss 10, quadratic 200",
                        MergeStrategy.LORAHUB,
                        low10,
                        "quadratic",
                        200),
                variant(
                        "cobyla_40: CAT, lowest-loss 10, cobyla 40",
                        MergeStrategy.CAT,
                        low10,
                        "cobyla",
                        40),
                variant("CAT, lowest-loss 10, cobyla 200", MergeStrategy.CAT, low10, "cobyla", 200),
                variant(
                        "lorahub_best: CAT, lowest-loss 10, quadratic 200",
                        MergeStrategy.CAT,
                        low10,
                        "quadratic",
                        200),
                variant(
                        "all 30, CAT, cobyla 225",
                        MergeStrategy.CAT,
                        ModuleSelection.all(),
                        "cobyla",
                        225),
                variant(
                        "all 30, CAT, quadratic 225",
                        MergeStrategy.CAT,
                        ModuleSelection.all(),
                        "quadratic",
                        225),
                adam("all 30, CAT, adam lr 0.02, 75 steps", 0.02, 75, s -> s),
                new Variant("recipe_best: .recipe(Recipe.BEST)", false, s -> s.recipe(Recipe.BEST)),
                new Variant(
                        "Recipe.BEST + perLayerWeights (180 weights)",
                        false,
                        s -> s.recipe(Recipe.BEST).perLayerWeights(true)),
                new Variant(
                        "Recipe.BEST + earlyStopping (leave-one-out)",
                        false,
                        s -> s.recipe(Recipe.BEST).earlyStopping(true)),
                new Variant(
                        "Recipe.BEST, budget 20",
                        false,
                        s -> s.recipe(Recipe.BEST).budget(20)),
                new Variant(
                        "Recipe.BEST, budget 30",
                        false,
                        s -> s.recipe(Recipe.BEST).budget(30)),
                new Variant(
                        "Recipe.BEST, budget 45",
                        false,
                        s -> s.recipe(Recipe.BEST).budget(45)),
                new Variant(
                        "Recipe.BEST, budget 60",
                        false,
                        s -> s.recipe(Recipe.BEST).budget(60)),
                new Variant(
                        "Recipe.BEST, budget 90",
                        false,
                        s -> s.recipe(Recipe.BEST).budget(90)),
                gradient(
                        "all 30, CAT, descent t0 0.25, budget 20",
                        new DescentOptimizer(0.25, 4),
                        20),
                gradient(
                        "all 30, CAT, descent t0 0.25, budget 30",
                        new DescentOptimizer(0.25, 4),
                        30),
                gradient(
                        "all 30, CAT, descent t0 0.25, budget 45",
                        new DescentOptimizer(0.25, 4),
                        45),
                gradient(
                        "all 30, CAT, descent t0 0.25, budget 60",
                        new DescentOptimizer(0.25, 4),
                        60),
                gradient(
                        "all 30, CAT, descent t0 0.25, budget 90",
                        new DescentOptimizer(0.25, 4),
                        90),
                gradient(
                        "all 30, CAT, descent t0 0.25, budget 225",
                        new DescentOptimizer(0.25, 4),
                        225),
                gradient(
                        "all 30, CAT, descent t0 0.15, budget 20",
                        new DescentOptimizer(0.15, 4),
                        20),
                gradient(
                        "all 30, CAT, descent t0 0.15, budget 30",
                        new DescentOptimizer(0.15, 4),
                        30),
                gradient(
                        "all 30, CAT, descent t0 0.15, budget 45",
                        new DescentOptimizer(0.15, 4),
                        45),
                gradient(
                        "all 30, CAT, descent t0 0.15, budget 60",
                        new DescentOptimizer(0.15, 4),
                        60),
                gradient(
                        "all 30, CAT, descent t0 0.15, budget 90",
                        new DescentOptimizer(0.15, 4),
                        90),
                adam("all 30, CAT, adam lr 0.05, 6 steps", 0.05, 6, s -> s),
                adam("all 30, CAT, adam lr 0.1, 6 steps", 0.1, 6, s -> s),
                adam("all 30, CAT, adam lr 0.2, 6 steps", 0.2, 6, s -> s),
                adam("all 30, CAT, adam lr 0.3, 6 steps", 0.3, 6, s -> s),
                new Variant("oracle_exact: own modules at w = 1, CAT", true, null),
                new Variant(
                        "oracle_search: own modules, CAT, quadratic " + Demo.ORACLE_BUDGET,
                        true,
                        s ->
                                s.strategy(MergeStrategy.CAT)
                                        .optimizer(Optimizers.byName("quadratic"))
                                        .budget(Demo.ORACLE_BUDGET))));
        all.addAll(miniBatches);
        all.addAll(schedules());
        return all;
    }

    /**
     * @param args optional hub folder (default {@code lorahub-examples/hub}), number of seeds
     *     (default 3: 42, 1, 2) and a regular expression the variants' names must contain (default:
     *     all)
     * @throws IOException if the hub cannot be read
     */
    public static void main(String[] args) throws IOException {
        HubLayout layout =
                new HubLayout(Path.of(args.length > 0 ? args[0] : "lorahub-examples/hub"));
        int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Pattern only = Pattern.compile(args.length > 2 ? args[2] : "");
        List<Variant> variants =
                variants().stream().filter(v -> only.matcher(v.name()).find()).toList();
        List<LoraModule> pool = new ArrayList<>();
        for (Task t : TaskSuite.poolTasks()) {
            pool.add(LoraModule.load(layout.module(t.name())));
        }
        List<Task> tasks = TaskSuite.heldOutTasks();
        double[][] em = new double[variants.size()][seeds];
        double[] cost = new double[variants.size()];
        double[] wall = new double[variants.size()];
        double[] cpu = new double[variants.size()];
        double[] loss = new double[variants.size()];
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        double[][] perTask = new double[variants.size()][tasks.size()];
        long start = System.nanoTime();
        DjlRuntime.start(); // no network, quiet logs, threads: before DJL starts
        try (BaseModel base = ModelBackends.load(layout.base())) {
            ExampleTemplate template = base.template(); // the hub declares {input}>
            for (int ti = 0; ti < tasks.size(); ti++) {
                Task task = tasks.get(ti);
                List<TaskExample> train = Jsonl.read(layout.heldOutTrain(task.name()));
                List<TaskExample> test =
                        Jsonl.read(layout.heldOutTest(task.name())).subList(0, 100);
                List<String> queries = test.stream().map(e -> template.prompt(e.input())).toList();
                List<String> gold = test.stream().map(TaskExample::output).toList();
                List<LoraModule> own = Demo.ownModules(task, pool);
                for (int s = 0; s < seeds; s++) {
                    long seed = s == 0 ? 42 : s;
                    List<FewShotExample> shots =
                            Demo.draw(train, 5, seed ^ task.name().hashCode()).stream()
                                    .map(e -> FewShotExample.of(e.input(), e.output()))
                                    .toList();
                    for (int v = 0; v < variants.size(); v++) {
                        Variant x = variants.get(v);
                        LoraModule merged;
                        if (x.recipe() == null) {
                            double[] ones = new double[own.size()];
                            Arrays.fill(ones, 1.0);
                            merged = Composer.of(MergeStrategy.CAT).merge("oracle", own, ones);
                        } else {
                            long cpu0 = os.getProcessCpuTime();
                            long wall0 = System.nanoTime();
                            LoraHubResult r =
                                    x.recipe()
                                            .apply(
                                                    LoraHub.compose(x.ownModules() ? own : pool)
                                                            .fewShot(shots)
                                                            .on(base)
                                                            .template(template)
                                                            .seed(seed))
                                            .run();
                            wall[v] += (System.nanoTime() - wall0) / 1e9;
                            cpu[v] += (os.getProcessCpuTime() - cpu0) / 1e9;
                            merged = r.merged();
                            cost[v] += r.forwardEquivalents();
                            loss[v] += r.bestLoss();
                        }
                        double score = Demo.answers(base, merged, queries, gold).exactMatch();
                        em[v][s] += score / tasks.size();
                        perTask[v][ti] += score / seeds;
                    }
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%d held-out tasks x %d seeds, 100 test examples each, %.0f s%n%n",
                tasks.size(),
                seeds,
                (System.nanoTime() - start) / 1e9);
        StringBuilder head = new StringBuilder("| variant |");
        for (int s = 0; s < seeds; s++) {
            head.append(" seed ").append(s == 0 ? 42 : s).append(" |");
        }
        System.out.println(head + " mean | fwd-eq / task | wall s / task | CPU s / task | loss |");
        System.out.println("|---|" + "---:|".repeat(seeds + 5));
        for (int v = 0; v < variants.size(); v++) {
            StringBuilder row = new StringBuilder("| " + variants.get(v).name() + " |");
            for (int s = 0; s < seeds; s++) {
                row.append(String.format(Locale.ROOT, " %.1f |", em[v][s]));
            }
            row.append(
                    String.format(
                            Locale.ROOT,
                            " %.1f | %.1f | %.2f | %.2f | %.3f |",
                            Arrays.stream(em[v]).average().orElse(Double.NaN),
                            cost[v] / (tasks.size() * seeds),
                            wall[v] / (tasks.size() * seeds),
                            cpu[v] / (tasks.size() * seeds),
                            loss[v] / (tasks.size() * seeds)));
            System.out.println(row);
        }
        System.out.print("\n| task |");
        variants.forEach(v -> System.out.print(" " + v.name() + " |"));
        System.out.println("\n|---|" + "---:|".repeat(variants.size()));
        for (int ti = 0; ti < tasks.size(); ti++) {
            StringBuilder row = new StringBuilder("| " + tasks.get(ti).name() + " |");
            for (int v = 0; v < variants.size(); v++) {
                row.append(String.format(Locale.ROOT, " %.1f |", perTask[v][ti]));
            }
            System.out.println(row);
        }
    }
}
