package dev.lorahub.hub;

import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.ModuleSelection;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.optim.Optimizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which ingredient of {@code lorahub_best} matters: runs LoraHub on the committed hub's held-out
 * tasks with one ingredient changed at a time (merge strategy, module selection, optimizer and
 * budget) and prints the average exact match of each variant over the tasks and seeds.
 *
 * <pre>{@code
 * java -cp lorahub-examples/target/lorahub.jar dev.lorahub.hub.HubAblation [hubDir] [seeds]
 * }</pre>
 */
public final class HubAblation {
    private record Variant(
            String name,
            MergeStrategy strategy,
            ModuleSelection selection,
            String optimizer,
            int budget) {}

    private HubAblation() {}

    /**
     * @param args optional hub folder (default {@code lorahub-examples/hub}) and number of seeds
     *     (default 3)
     * @throws IOException if the hub cannot be read
     */
    public static void main(String[] args) throws IOException {
        HubLayout layout =
                new HubLayout(Path.of(args.length > 0 ? args[0] : "lorahub-examples/hub"));
        int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Variant> variants =
                List.of(
                        new Variant(
                                "reference: LORAHUB, random 20, cobyla 40",
                                MergeStrategy.LORAHUB,
                                ModuleSelection.random(20),
                                "cobyla",
                                40),
                        new Variant(
                                "CAT, random 20, cobyla 40",
                                MergeStrategy.CAT,
                                ModuleSelection.random(20),
                                "cobyla",
                                40),
                        new Variant(
                                "LORAHUB, lowest-loss 10, quadratic 200",
                                MergeStrategy.LORAHUB,
                                ModuleSelection.lowestLoss(10),
                                "quadratic",
                                200),
                        new Variant(
                                "CAT, lowest-loss 10, cobyla 40",
                                MergeStrategy.CAT,
                                ModuleSelection.lowestLoss(10),
                                "cobyla",
                                40),
                        new Variant(
                                "CAT, lowest-loss 10, cobyla 200",
                                MergeStrategy.CAT,
                                ModuleSelection.lowestLoss(10),
                                "cobyla",
                                200),
                        new Variant(
                                "best: CAT, lowest-loss 10, quadratic 200",
                                MergeStrategy.CAT,
                                ModuleSelection.lowestLoss(10),
                                "quadratic",
                                200));
        List<LoraModule> pool = new ArrayList<>();
        for (Task t : TaskSuite.poolTasks()) {
            pool.add(LoraModule.load(layout.module(t.name())));
        }
        double[] sum = new double[variants.size()];
        int runs = 0;
        long start = System.nanoTime();
        DjlRuntime.start(); // no network, quiet logs, threads: before DJL starts
        try (BaseModel base = ModelBackends.load(layout.base())) {
            ExampleTemplate template = base.template(); // the hub declares {input}>
            for (Task task : TaskSuite.heldOutTasks()) {
                List<TaskExample> train = Jsonl.read(layout.heldOutTrain(task.name()));
                List<TaskExample> test =
                        Jsonl.read(layout.heldOutTest(task.name())).subList(0, 100);
                List<String> queries = test.stream().map(e -> template.prompt(e.input())).toList();
                List<String> gold = test.stream().map(TaskExample::output).toList();
                for (int s = 0; s < seeds; s++) {
                    long seed = s == 0 ? 42 : s;
                    List<FewShotExample> shots =
                            Demo.draw(train, 5, seed ^ task.name().hashCode()).stream()
                                    .map(e -> FewShotExample.of(e.input(), e.output()))
                                    .toList();
                    runs++;
                    for (int v = 0; v < variants.size(); v++) {
                        Variant x = variants.get(v);
                        LoraModule merged =
                                LoraHub.compose(pool)
                                        .fewShot(shots)
                                        .on(base)
                                        .select(x.selection())
                                        .strategy(x.strategy())
                                        .optimizer(Optimizers.byName(x.optimizer()))
                                        .budget(x.budget())
                                        .seed(seed)
                                        .run()
                                        .merged();
                        List<String> pred =
                                base.generateText(
                                        merged,
                                        queries,
                                        GenerationConfig.greedy(Demo.MAX_NEW_TOKENS));
                        sum[v] += ExactMatch.percent(pred, gold);
                    }
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%d held-out tasks x %d seeds, 100 test examples each, %.0f s%n",
                TaskSuite.heldOutTasks().size(),
                seeds,
                (System.nanoTime() - start) / 1e9);
        System.out.println("| variant | exact match (%) |\n|---|---:|");
        for (int v = 0; v < variants.size(); v++) {
            System.out.printf(
                    Locale.ROOT, "| %s | %.1f |%n", variants.get(v).name(), sum[v] / runs);
        }
    }
}
