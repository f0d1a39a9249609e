package dev.lorahub.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AnswerEval} on the toy model: the answers are those the model gives one prompt at a time,
 * batches cover every example once, the score is the count of normalised matches, and the report
 * files hold what the report says.
 */
class AnswerEvalTest {
    @TempDir Path tmp;

    @Test
    void scores_the_answers_the_model_gives_alone_in_batches_with_progress_after_each()
            throws Exception {
        ToyModel model = ToyModel.create(ToyModelConfig.small());
        LoraModule adapter = ToyTasks.modules(model.config(), "toy", 1, 2, 3L).get(0);
        ExampleTemplate layout = ExampleTemplate.of("<{input}>");
        List<FewShotExample> examples = new ArrayList<>();
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String input = "q" + i;
            String answer =
                    model.generateText(
                                    adapter,
                                    List.of(layout.prompt(input)),
                                    GenerationConfig.greedy(5))
                            .get(0);
            alone.add(answer);
            // examples 0, 2, 4, 6 expect the model's answer, upper-cased with a dot (normalised
            // away); 1, 3, 5 expect something else
            String reference = i % 2 == 0 ? " " + answer.toUpperCase(Locale.ROOT) + ". " : "#";
            examples.add(FewShotExample.of(input, reference));
        }
        List<int[]> progress = new ArrayList<>();
        EvalReport r =
                AnswerEval.on(model)
                        .adapter(adapter)
                        .template(layout)
                        .maxNewTokens(5)
                        .batchSize(3)
                        .listener(
                                (done, total, correct) ->
                                        progress.add(new int[] {done, total, correct}))
                        .run(examples);

        assertThat(r.predictions()).isEqualTo(alone);
        assertThat(r.rows()).extracting(EvalReport.Row::prompt).first().isEqualTo("<q0>");
        assertThat(r.correct()).isEqualTo(4);
        assertThat(r.exactMatch()).isEqualTo(100.0 * 4 / 7);
        assertThat(progress)
                .containsExactly(new int[] {3, 7, 2}, new int[] {6, 7, 3}, new int[] {7, 7, 4});
        assertThat(r.adapter()).isEqualTo(adapter.name());
        assertThat(r.modelType()).isEqualTo(ToyModel.MODEL_TYPE);
    }

    @Test
    void report_files_are_json_and_rfc4180_csv_of_every_row() throws Exception {
        EvalReport r =
                new EvalReport(
                        "a",
                        "llama",
                        8,
                        List.of(
                                new EvalReport.Row("x>", "y", "y", true),
                                new EvalReport.Row("a,\"b\"\nc>", "d", "e", false)),
                        1.23456);
        r.writeJson(tmp.resolve("out/eval.json"));
        r.writeCsv(tmp.resolve("out/eval.csv"));
        assertThat(Files.readString(tmp.resolve("out/eval.csv")))
                .isEqualTo(
                        "index,prompt,reference,prediction,match\r\n"
                                + "0,x>,y,y,true\r\n"
                                + "1,\"a,\"\"b\"\"\nc>\",d,e,false\r\n");
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("out/eval.json").toFile());
        assertThat(json.get("exact_match").asDouble()).isEqualTo(50.0);
        assertThat(json.get("correct").asInt()).isEqualTo(1);
        assertThat(json.get("examples").asInt()).isEqualTo(2);
        assertThat(json.get("seconds").asDouble()).isEqualTo(1.235);
        assertThat(json.get("rows").get(1).get("prompt").asText()).isEqualTo("a,\"b\"\nc>");
        assertThat(new ObjectMapper().readTree(r.summaryJson()).has("rows")).isFalse();
        try (var files = Files.list(tmp.resolve("out"))) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrder("eval.json", "eval.csv");
        }
    }

    @Test
    void token_examples_and_empty_sets_are_refused() {
        ToyModel model = ToyModel.create(ToyModelConfig.small());
        assertThatThrownBy(
                        () ->
                                AnswerEval.on(model)
                                        .run(
                                                List.of(
                                                        FewShotExample.of("a", "b"),
                                                        FewShotExample.tokenized(
                                                                new int[] {1}, new int[] {1}))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("example 2 is token ids; evaluation needs text examples");
        assertThatThrownBy(() -> AnswerEval.on(model).run(List.of()))
                .hasMessageContaining("0 prompts");
        assertThatThrownBy(() -> AnswerEval.on(model).batchSize(0))
                .hasMessage("batchSize must be >= 1, got 0");
    }

    @Test
    void exact_match_normalises_as_the_lorahub_reference() {
        assertThat(ExactMatch.normalize("  Abc. ")).isEqualTo("abc");
        assertThat(ExactMatch.matches(" A.b ", "ab")).isTrue();
        assertThat(ExactMatch.percent(List.of("abc", "x", " AB."), List.of("abc", "y", "ab")))
                .isCloseTo(200.0 / 3, org.assertj.core.data.Offset.offset(1e-12));
    }
}
