package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.GradientOptimizer;
import dev.lorahub.LoraHub;
import dev.lorahub.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline at the smoke scale: build-hub twice (byte-identical files), then the demo,
 * whose answers are checked against an independent decoder ({@link DemoOracle}) and whose LoraHub
 * rows report the costs the library's counting gives.
 */
class HubSmokeTest {
    /** 2 tasks, 10 test examples, lorahub_best = 3 lowest-loss modules, cobyla, 6 evaluations. */
    private static final int CANDIDATES = 3;

    private static final int BEST_BUDGET = 6;

    @TempDir static Path dir;

    private static Path hub;
    private static DemoSettings settings;
    private static DemoResult result;
    private static int progressCalls;

    @BeforeAll
    static void build_the_smoke_hub_and_run_the_demo_on_it() throws IOException {
        hub = dir.resolve("a");
        new HubBuilder(HubScale.SMOKE, HubBuildListener.NONE).build(hub);
        settings = new DemoSettings(hub, 5, 42, 10, 2, CANDIDATES, BEST_BUDGET, "cobyla", 2, 3e-3);
        result = new Demo(settings, (done, total, detail) -> progressCalls++).run();
        result.write(dir.resolve("out"));
    }

    @Test
    void smoke_hub_rebuilds_the_same_files() throws IOException {
        Path b = dir.resolve("b");
        new HubBuilder(HubScale.SMOKE, HubBuildListener.NONE).build(b);
        Map<String, byte[]> filesA = files(hub);
        Map<String, byte[]> filesB = files(b);
        assertThat(filesA.keySet()).isEqualTo(filesB.keySet());
        // every file byte for byte, weights included (docs/hub-and-demo.md, reproducibility)
        for (Map.Entry<String, byte[]> e : filesA.entrySet()) {
            assertThat(filesB.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(filesA.keySet())
                .contains(
                        "hub.json",
                        "base/model.safetensors",
                        "base/config.json",
                        "base/tokenizer.json",
                        "base/lorahub.json",
                        "modules/rev/adapter_model.safetensors",
                        "held-out/rev_atb/test.jsonl",
                        "ceilings/rev_atb/adapter_config.json");
        assertThat(
                        filesA.keySet().stream()
                                .filter(
                                        k ->
                                                k.startsWith("modules/")
                                                        && k.endsWith("adapter_model.safetensors")))
                .hasSize(TaskSuite.poolTasks().size());
    }

    @Test
    void the_demo_writes_every_row_and_its_answers_match_naive_decoding() throws IOException {
        assertThat(progressCalls).isEqualTo(2 * Method.values().length);
        List<String> csv = Files.readAllLines(dir.resolve("out/results.csv"));
        assertThat(csv.get(0)).isEqualTo("task,method,exact_match");
        assertThat(csv).hasSize(1 + 3 * Method.values().length);
        for (Method m : Method.values()) {
            assertThat(csv).anyMatch(l -> l.startsWith("AVERAGE," + m.id() + ","));
        }
        assertThat(Files.readString(dir.resolve("out/results.svg"))).contains("<svg");
        for (DemoResult.TaskReport t : result.tasks()) {
            assertThat(t.scores()).hasSize(Method.values().length);
            assertThat(t.bestWeights()).hasSize(CANDIDATES);
        }
        DemoOracle.assertAnswersMatchNaiveDecoding(hub, settings, result, 5);
    }

    @Test
    void every_lorahub_row_reports_the_cost_the_library_counts_within_its_budget()
            throws IOException {
        int pool = TaskSuite.poolTasks().size();
        // LoraHubResult.forwardEquivalents(): one forward per module scored alone by the
        // lowest-loss selection, one per gradient-free evaluation (COBYLA restarts until its
        // budget is spent), COST_PER_STEP per full-batch gradient step; a one-example mini-batch
        // epoch costs one full step, and the returned point is scored by one forward on all 5.
        int shortEpochs = (Recipe.SHORT_BUDGET - 1) / GradientOptimizer.COST_PER_STEP;
        Map<Method, Long> expected =
                Map.of(
                        Method.LORAHUB_REFERENCE, (long) LoraHub.DEFAULT_BUDGET,
                        Method.COBYLA_40, (long) pool + LoraHub.DEFAULT_BUDGET,
                        Method.LORAHUB_BEST, (long) pool + BEST_BUDGET,
                        Method.RECIPE_SHORT,
                                (long) shortEpochs * GradientOptimizer.COST_PER_STEP + 1,
                        Method.RECIPE_BEST, (long) Recipe.BEST_BUDGET,
                        Method.ORACLE_SEARCH, (long) Demo.ORACLE_BUDGET);
        assertThat(expected.get(Method.COBYLA_40)).isEqualTo(70L);
        assertThat(expected.get(Method.RECIPE_SHORT))
                .isEqualTo(19L)
                .isLessThanOrEqualTo(Recipe.SHORT_BUDGET);
        for (DemoResult.TaskReport t : result.tasks()) {
            assertThat(t.forwardEquivalents()).as(t.task()).isEqualTo(expected);
            assertThat(t.weights().keySet()).as(t.task()).isEqualTo(expected.keySet());
        }
        // results.md prints the mean cost per task of each row
        String md = Files.readString(dir.resolve("out/results.md"));
        assertThat(md)
                .contains(
                        "Forward-equivalents per task of the weight search (selection included):"
                                + " lorahub_reference 40, cobyla_40 70, lorahub_best "
                                + (pool + BEST_BUDGET)
                                + ", recipe_short 19, recipe_best 225, oracle_search 40.")
                .contains("Weights cobyla_40 found")
                .contains("Weights recipe_short found");
    }

    private static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return out;
    }
}
