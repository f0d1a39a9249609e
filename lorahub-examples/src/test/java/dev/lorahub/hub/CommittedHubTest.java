package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.LoraModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Checks the hub committed under lorahub-examples/hub against the task suite it claims. */
class CommittedHubTest {
    private static final HubLayout HUB = new HubLayout(Path.of("hub"));

    /** The hub is committed with the sources, so its absence is a failure, not a skip. */
    private static void requireHub() {
        assertThat(HUB.manifest())
                .as("committed hub manifest (run from lorahub-examples)")
                .exists();
    }

    @Test
    void manifest_lists_the_suite_and_every_module_loads_with_its_targets() throws IOException {
        requireHub();
        JsonNode m = new ObjectMapper().readTree(HUB.manifest().toFile());
        List<String> pool = TaskSuite.poolTasks().stream().map(Task::name).toList();
        assertThat(m.get("pool")).hasSize(pool.size());
        assertThat(pool).hasSizeGreaterThanOrEqualTo(24);
        for (String name : pool) {
            LoraModule module = LoraModule.load(HUB.module(name));
            assertThat(module.layers()).as(name).isNotEmpty();
            assertThat(module.layers().keySet())
                    .allSatisfy(k -> assertThat(k).matches(".*\\.(q_proj|v_proj)"));
        }
        long bytes;
        try (Stream<Path> s = Files.walk(HUB.root())) {
            bytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertThat(bytes).as("hub size").isLessThan(30L << 20);
    }

    @Test
    void held_out_data_is_correct_disjoint_and_large_enough() throws IOException {
        requireHub();
        List<Task> heldOut = TaskSuite.heldOutTasks();
        assertThat(heldOut).hasSizeGreaterThanOrEqualTo(8);
        for (Task t : heldOut) {
            List<TaskExample> train = Jsonl.read(HUB.heldOutTrain(t.name()));
            List<TaskExample> test = Jsonl.read(HUB.heldOutTest(t.name()));
            assertThat(test).as(t.name()).hasSizeGreaterThanOrEqualTo(100);
            Set<String> trainInputs = new HashSet<>();
            for (TaskExample e : train) {
                assertThat(e.output()).as("%s(%s)", t, e.input()).isEqualTo(t.apply(e.input()));
                trainInputs.add(e.input());
            }
            for (TaskExample e : test) {
                assertThat(e.output()).as("%s(%s)", t, e.input()).isEqualTo(t.apply(e.input()));
                assertThat(trainInputs).as("%s test input in train", t).doesNotContain(e.input());
            }
        }
    }

    @Test
    void on_one_task_the_ceiling_module_beats_the_copying_base_and_answers_match_naive_decoding()
            throws IOException {
        requireHub();
        DemoSettings s = new DemoSettings(HUB.root(), 5, 42, 30, 1, 3, 10, "cobyla", 5, 3e-3);
        DemoResult r = new Demo(s, DemoListener.NONE).run();
        DemoResult.TaskReport t = r.tasks().get(0);
        assertThat(t.scores().get(Method.LORA_FULL))
                .as(t.toString())
                .isGreaterThan(50.0)
                .isGreaterThan(t.scores().get(Method.ZERO_SHOT));
        // 11 rows x 30 answers re-derived, at least 90 of them non-empty on the trained hub
        DemoOracle.assertAnswersMatchNaiveDecoding(HUB.root(), s, r, 90);
    }
}
