package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline at the smoke scale: build-hub twice (byte-identical files), then the demo,
 * whose answers are checked against an independent decoder ({@link DemoOracle}).
 */
class HubSmokeTest {
    @Test
    void smoke_hub_rebuilds_the_same_files_and_the_demo_writes_every_row(@TempDir Path dir)
            throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        new HubBuilder(HubScale.SMOKE, HubBuildListener.NONE).build(a);
        new HubBuilder(HubScale.SMOKE, HubBuildListener.NONE).build(b);
        Map<String, byte[]> filesA = files(a);
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

        DemoSettings s = new DemoSettings(a, 5, 42, 10, 2, 3, 6, "cobyla", 2, 3e-3);
        int[] calls = {0};
        DemoResult r = new Demo(s, (done, total, detail) -> calls[0]++).run();
        r.write(dir.resolve("out"));
        assertThat(calls[0]).isEqualTo(2 * Method.values().length);
        List<String> csv = Files.readAllLines(dir.resolve("out/results.csv"));
        assertThat(csv.get(0)).isEqualTo("task,method,exact_match");
        assertThat(csv).hasSize(1 + 3 * Method.values().length);
        assertThat(csv).anyMatch(l -> l.startsWith("AVERAGE,lorahub_best,"));
        assertThat(Files.readString(dir.resolve("out/results.svg"))).contains("<svg");
        for (DemoResult.TaskReport t : r.tasks()) {
            assertThat(t.scores()).hasSize(Method.values().length);
            assertThat(t.bestWeights()).hasSize(3);
        }
        DemoOracle.assertAnswersMatchNaiveDecoding(a, s, r, 5);
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
