package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.hub.Demo;
import dev.lorahub.hub.DemoListener;
import dev.lorahub.hub.DemoResult;
import dev.lorahub.hub.DemoSettings;
import dev.lorahub.hub.HubLayout;
import dev.lorahub.hub.Method;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lorahub eval} on the embedded hub gives, for a module and for the base alone, exactly the
 * exact-match figure (and the answers) the demo reports for the same method on the same test
 * examples: the demo scores its rows with the same {@code AnswerEval}.
 */
class EvalCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TEST_EXAMPLES = 30;
    private static final HubLayout HUB = new HubLayout(Path.of("hub"));

    @TempDir Path tmp;

    private CliRun eval(String task, Path adapter, String report) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "eval",
                                "--model",
                                HUB.base().toString(),
                                "--examples",
                                HUB.heldOutTest(task).toString(),
                                "--limit",
                                String.valueOf(TEST_EXAMPLES),
                                "--max-new-tokens",
                                "16",
                                "--json",
                                tmp.resolve(report + ".json").toString(),
                                "--csv",
                                tmp.resolve(report + ".csv").toString()));
        if (adapter != null) {
            args.addAll(List.of("--adapter", adapter.toString()));
        }
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void eval_gives_the_demo_s_exact_match_and_answers_for_the_same_method() throws IOException {
        assertThat(HUB.manifest()).isRegularFile();
        DemoSettings s =
                new DemoSettings(HUB.root(), 5, 42, TEST_EXAMPLES, 1, 3, 6, "cobyla", 2, 3e-3);
        DemoResult.TaskReport t = new Demo(s, DemoListener.NONE).run().tasks().get(0);

        CliRun full = eval(t.task(), HUB.ceiling(t.task()), "full");
        assertThat(full.exitCode()).as("%s", full).isZero();
        JsonNode summary = JSON.readTree(full.out());
        assertThat(summary.get("exact_match").asDouble())
                .isEqualTo(t.scores().get(Method.LORA_FULL));
        assertThat(summary.get("examples").asInt()).isEqualTo(TEST_EXAMPLES);
        JsonNode report = JSON.readTree(tmp.resolve("full.json").toFile());
        List<String> answers = new ArrayList<>();
        report.get("rows").forEach(r -> answers.add(r.get("prediction").asText()));
        assertThat(answers).isEqualTo(t.predictions().get(Method.LORA_FULL));
        assertThat(Files.readAllLines(tmp.resolve("full.csv"))).hasSize(TEST_EXAMPLES + 1);

        CliRun base = eval(t.task(), null, "base");
        assertThat(base.exitCode()).as("%s", base).isZero();
        assertThat(JSON.readTree(base.out()).get("exact_match").asDouble())
                .isEqualTo(t.scores().get(Method.ZERO_SHOT));

        CliRun single = eval(t.task(), HUB.module(t.bestSingle()), "single");
        assertThat(single.exitCode()).as("%s", single).isZero();
        assertThat(JSON.readTree(single.out()).get("exact_match").asDouble())
                .isEqualTo(t.scores().get(Method.BEST_SINGLE));
        // the three figures are not all one value, so the comparison tells methods apart
        assertThat(List.of(t.scores().get(Method.LORA_FULL), t.scores().get(Method.ZERO_SHOT)))
                .doesNotHaveDuplicates();
    }

    @Test
    void a_token_line_in_the_test_file_is_refused_naming_its_line() throws IOException {
        Path f = tmp.resolve("t.jsonl");
        Files.writeString(f, "{\"input\": \"abc\", \"output\": \"cba\"}\n{\"input_ids\": [1]}\n");
        CliRun run =
                CliRun.of("eval", "--model", HUB.base().toString(), "--examples", f.toString());
        assertThat(run.exitCode()).as("%s", run).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines())
                .containsExactly(
                        "lorahub eval: "
                                + f
                                + ": line 2: key 'input_ids': expected a text example"
                                + " {\"input\", \"output\"}, not token ids");
    }
}
