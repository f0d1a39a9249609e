package dev.lorahub.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.hub.Demo;
import dev.lorahub.hub.DemoSettings;
import dev.lorahub.hub.HubLayout;
import dev.lorahub.hub.Jsonl;
import dev.lorahub.hub.Method;
import dev.lorahub.hub.Task;
import dev.lorahub.hub.TaskExample;
import dev.lorahub.hub.TaskSuite;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in local mode over the embedded hub's 10 held-out tasks, each with the demo's two
 * LoraHub rows (the paper's recipe and the library's best gradient-free one, seed 42), plus two bad
 * tasks. Truth: the demo's own code path ({@link Demo#shots}, {@link Demo#lorahub}) run here on the
 * same base, whose results must equal the job's rows bit for bit.
 *
 * <p>Master {@code local[2,2]}: 2 task threads, each Spark task tried at most twice (plain {@code
 * local[2]} never retries, so a retry could not be observed).
 */
class SparkLearnJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HubLayout HUB = new HubLayout(Path.of("hub"));
    private static final DemoSettings DEMO = DemoSettings.defaults(HUB.root());

    private final SparkSession spark = LocalSpark.session();

    @TempDir Path tmp;

    /** The options of a task that reproduce a demo row through {@code lorahub learn}'s names. */
    private static Map<String, String> options(Method m) {
        return switch (m) {
            case LORAHUB_REFERENCE -> Map.of("select", "random:20", "optimizer", "cobyla");
            case LORAHUB_BEST ->
                    Map.of(
                            "select", "lowest-loss:" + DEMO.bestCandidates(),
                            "strategy", "cat",
                            "optimizer", DEMO.bestOptimizer(),
                            "budget", Integer.toString(DEMO.bestBudget()));
            default -> throw new IllegalArgumentException(m.toString());
        };
    }

    private static String id(Task t, Method m) {
        return t.name() + "." + m.id();
    }

    @Test
    void the_rows_equal_the_demos_lorahub_rows_bit_for_bit_and_a_rerun_skips_them()
            throws IOException {
        List<String> pool = new ArrayList<>();
        List<LoraModule> modules = new ArrayList<>();
        for (Task t : TaskSuite.poolTasks()) {
            pool.add(HUB.module(t.name()).toString());
            modules.add(LoraModule.load(HUB.module(t.name())));
        }
        Map<String, List<FewShotExample>> shots = new LinkedHashMap<>();
        ArrayNode table = JSON.createArrayNode();
        int i = 0;
        for (Task t : TaskSuite.heldOutTasks()) {
            List<TaskExample> drawn = Demo.shots(Jsonl.read(HUB.heldOutTrain(t.name())), t.name(), DEMO);
            shots.put(t.name(), drawn.stream().map(e -> FewShotExample.of(e.input(), e.output())).toList());
            for (Method m : List.of(Method.LORAHUB_REFERENCE, Method.LORAHUB_BEST)) {
                ObjectNode row = table.addObject().put("task_id", id(t, m));
                if (i++ % 2 == 0) {
                    ArrayNode ex = row.putArray("examples");
                    drawn.forEach(e -> ex.addObject().put("input", e.input()).put("output", e.output()));
                } else {
                    Path file = tmp.resolve(id(t, m) + ".jsonl");
                    Jsonl.write(file, drawn);
                    row.put("examples_path", file.toString());
                }
                pool.forEach(row.putArray("modules")::add);
                row.put("model", HUB.base().toString()).put("seed", DEMO.seed());
                options(m).forEach(row.putObject("options")::put);
            }
        }
        ObjectNode missing = table.addObject().put("task_id", "missing-module");
        missing.putArray("examples").addObject().put("input", "abc").put("output", "cba");
        missing.putArray("modules").add(tmp.resolve("no-such-adapter").toString());
        missing.put("model", HUB.base().toString());
        ObjectNode unknown = table.addObject().put("task_id", "unknown-option");
        unknown.putArray("examples").addObject().put("input", "abc").put("output", "cba");
        pool.forEach(unknown.putArray("modules")::add);
        unknown.put("model", HUB.base().toString());
        unknown.putObject("options").put("budgte", 5);
        Path tasks = LocalSpark.jsonl(tmp.resolve("tasks.jsonl"), table);

        Path out = tmp.resolve("out");
        SparkLearnJob job = new SparkLearnJob(tasks.toString(), "jsonl", out, "parquet", null, 1, 0);
        int models = ExecutorCache.modelLoads(); // other tests of this JVM may have loaded some
        int loaded = ExecutorCache.moduleLoads();
        long start = System.nanoTime();
        Map<String, TaskOutcome> first = byId(job.run(spark).collectAsList());
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("spark job, %d tasks on local[2,2]: %.1f s%n", table.size(), seconds);

        // the bad tasks: retried once by Spark, then reported, and the job went on
        assertThat(first).hasSize(22);
        TaskOutcome bad = first.get("missing-module");
        assertThat(bad.state()).isEqualTo(TaskOutcome.ERROR);
        assertThat(bad.error()).contains("no-such-adapter").doesNotContain("\n");
        assertThat(bad.attempt()).as("the row comes from Spark's second attempt").isEqualTo(2);
        assertThat(first.get("unknown-option").error()).contains("budgte").contains("budget");
        assertThat(out.resolve("adapters/missing-module")).doesNotExist();

        // each base model and module loaded once by the (in-process) executor for 20 tasks
        assertThat(ExecutorCache.modelLoads() - models).isEqualTo(1);
        assertThat(ExecutorCache.moduleLoads() - loaded).isEqualTo(30);

        DjlRuntime.start();
        try (BaseModel base = ModelBackends.load(HUB.base())) {
            for (Task t : TaskSuite.heldOutTasks()) {
                for (Method m : List.of(Method.LORAHUB_REFERENCE, Method.LORAHUB_BEST)) {
                    LoraHubResult want =
                            Demo.lorahub(m, modules, shots.get(t.name()), DEMO)
                                    .on(base)
                                    .template(base.template())
                                    .run();
                    TaskOutcome got = first.get(id(t, m));
                    assertEqualsResult(got, want, id(t, m));
                    Path expected = tmp.resolve("expected").resolve(id(t, m));
                    want.merged().save(expected);
                    assertThat(Path.of(got.adapterPath()).resolve("adapter_model.safetensors"))
                            .as(id(t, m))
                            .hasSameBinaryContentAs(expected.resolve("adapter_model.safetensors"));
                }
            }
        }

        // a re-run finds the 20 outputs complete and skips them; the bad tasks run (and fail) again
        Map<String, TaskOutcome> second = byId(job.run(spark).collectAsList());
        assertThat(ExecutorCache.modelLoads() - models).isEqualTo(1);
        assertThat(ExecutorCache.moduleLoads() - loaded).isEqualTo(30);
        for (Map.Entry<String, TaskOutcome> e : first.entrySet()) {
            TaskOutcome a = e.getValue();
            TaskOutcome b = second.get(e.getKey());
            if (a.state().equals(TaskOutcome.ERROR)) {
                assertThat(b.state()).isEqualTo(TaskOutcome.ERROR);
                assertThat(b.reused()).isFalse();
            } else {
                assertThat(b.reused()).as(e.getKey()).isTrue();
                assertThat(b.asReused()).as(e.getKey()).isEqualTo(a.asReused());
            }
        }
    }

    static void assertEqualsResult(TaskOutcome got, LoraHubResult want, String id) {
        assertThat(got.state()).as(id).isEqualTo(want.state().name());
        assertThat(got.error()).as(id).isNull();
        assertThat(got.modules()).as(id).isEqualTo(want.moduleNames());
        List<Double> w = new ArrayList<>();
        for (double v : want.weightArray()) {
            w.add(v);
        }
        assertThat(got.weights()).as(id + " weights (Double.equals: bit for bit)").isEqualTo(w);
        assertThat(Double.doubleToLongBits(got.loss())).as(id + " loss").isEqualTo(Double.doubleToLongBits(want.bestLoss()));
        assertThat(Double.doubleToLongBits(got.score())).as(id + " score").isEqualTo(Double.doubleToLongBits(want.bestScore()));
        assertThat(got.evaluations()).as(id).isEqualTo(want.trace().size());
        assertThat(got.forwardEquivalents()).as(id).isEqualTo(want.forwardEquivalents());
    }

    static Map<String, TaskOutcome> byId(List<Row> rows) {
        Map<String, TaskOutcome> m = new LinkedHashMap<>();
        for (Row r : rows) {
            TaskOutcome o = TaskTable.outcome(r);
            assertThat(m.put(o.taskId(), o)).as("one row per task: " + o.taskId()).isNull();
        }
        return m;
    }
}
