package dev.lorahub.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spark task names its modules as {@code lorahub learn --modules} does (one rule, {@code
 * LoraModule.distinctlyNamed}, with {@code NAME=DIR}); run by {@link TaskRunner} directly, as an
 * executor runs it, without a Spark session.
 */
class TaskRunnerNamesTest {
    @TempDir Path tmp;

    @Test
    void modules_in_folders_of_the_same_name_and_named_ones_are_named_as_learn_names_them()
            throws Exception {
        Path llama = TestData.require("hf-tiny/llama");
        List<String> dirs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path to = tmp.resolve("runs/run" + (i + 1) + "/adapter");
            Files.createDirectories(to);
            try (Stream<Path> files = Files.list(llama.resolve("adapters/adapter_" + i))) {
                for (Path f : files.toList()) {
                    Files.copy(f, to.resolve(f.getFileName().toString()));
                }
            }
            dirs.add(to.toString());
        }
        Path examples = tmp.resolve("ex.jsonl");
        Files.writeString(
                examples,
                "{\"input_ids\": [1, 17, 42, 99, 7], \"labels\": [-100, -100, 42, 99, 7]}\n");
        TaskSpec spec =
                new TaskSpec(
                        "names",
                        List.of(),
                        examples.toString(),
                        List.of("first=" + dirs.get(0), dirs.get(1), dirs.get(2)),
                        llama.resolve("model").toString(),
                        null,
                        TaskSpec.FLOAT32,
                        null,
                        Map.of("budget", "2"),
                        42);
        TaskOutcome row = new TaskRunner(tmp.resolve("out").toString(), null, 1).run(spec, 1, "t");
        assertThat(row.modules()).containsExactly("first", "run2/adapter", "run3/adapter");
    }
}
