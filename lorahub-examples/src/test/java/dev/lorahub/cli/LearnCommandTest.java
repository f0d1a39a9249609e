package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.Provenance;
import dev.lorahub.Recipe;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.testing.TestData;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code lorahub learn} end to end on the pure-Java toy backend (no DJL, no model files). */
class LearnCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final double[] TRUTH = {0.9, 0.0, -0.6};

    @TempDir Path dir;
    ToyModel model;
    Path modelDir;
    Path modulesDir;
    List<LoraModule> modules;
    ToyTask task;

    @BeforeEach
    void writeModelModulesAndExamples() throws IOException {
        model = ToyModel.create(ToyModelConfig.small());
        modelDir = dir.resolve("toy-model");
        model.save(modelDir);
        modules = ToyTasks.modules(model.config(), modelDir.toString(), 3, 2, 4L);
        modulesDir = dir.resolve("pool");
        for (LoraModule m : modules) {
            m.save(modulesDir.resolve(m.name()));
        }
        task = ToyTasks.task(model, modules, TRUTH, ToyTasks.Combination.SEPARATE_SUM, 5, 48, 2L);
        StringBuilder jsonl = new StringBuilder();
        for (FewShotExample e : task.examples()) {
            ObjectNode line = JSON.createObjectNode();
            line.set("input_ids", JSON.valueToTree(e.inputIds().orElseThrow()));
            line.set("labels", JSON.valueToTree(e.labels().orElseThrow()));
            jsonl.append(line).append('\n');
        }
        Files.writeString(dir.resolve("examples.jsonl"), jsonl);
    }

    /** {@code lorahub learn --examples <dir/examples> --out <out> <more...>}. */
    CliRun learn(String examples, Path out, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "learn",
                                "--examples",
                                dir.resolve(examples).toString(),
                                "--out",
                                out.toString()));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** {@link #learn} with {@code --modules <the pool folder>} first. */
    CliRun learnOnPool(String examples, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("--modules", modulesDir.toString()));
        args.addAll(List.of(more));
        return learn(examples, out, args.toArray(String[]::new));
    }

    /** The pool's modules saved again as {@code runs/run<i>/adapter}: one folder name for all. */
    private List<Path> sameNamedFolders() throws IOException {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path folder = dir.resolve("runs/run" + (i + 1) + "/adapter");
            modules.get(i).save(folder);
            out.add(folder);
        }
        return out;
    }

    @Test
    void adapters_in_folders_of_the_same_name_get_their_distinguishing_path_as_name()
            throws Exception {
        List<Path> f = sameNamedFolders();
        Path out = dir.resolve("out");
        CliRun run =
                learn(
                        "examples.jsonl",
                        out,
                        "--budget",
                        "4",
                        "--modules",
                        f.get(0).toString(),
                        f.get(1).toString());
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(JSON.readTree(out.resolve("weights.json").toFile()).fieldNames())
                .toIterable()
                .containsExactly("run1/adapter", "run2/adapter");
    }

    @Test
    void modules_named_on_the_command_line_keep_their_names() throws Exception {
        List<Path> f = sameNamedFolders();
        Path out = dir.resolve("out");
        CliRun run =
                learn(
                        "examples.jsonl",
                        out,
                        "--budget",
                        "4",
                        "--modules",
                        "first=" + f.get(0),
                        "second=" + f.get(1),
                        modulesDir.resolve("toy-2").toString());
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(JSON.readTree(out.resolve("weights.json").toFile()).fieldNames())
                .toIterable()
                .containsExactly("first", "second", "toy-2");
    }

    @Test
    void a_name_given_twice_is_refused_naming_both_folders() throws Exception {
        List<Path> f = sameNamedFolders();
        CliRun run =
                learn(
                        "examples.jsonl",
                        dir.resolve("out"),
                        "--modules",
                        "x=" + f.get(0),
                        "x=" + f.get(1));
        assertThat(run.exitCode()).as("%s", run).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as("%s", run).hasSize(1);
        assertThat(run.errLines().get(0))
                .isEqualTo(
                        "lorahub learn: modules 0 ("
                                + f.get(0).toAbsolutePath().normalize()
                                + ") and 1 ("
                                + f.get(1).toAbsolutePath().normalize()
                                + ") are both named 'x'; weights are reported by name, so names"
                                + " must be distinct: rename one (LoraModule.withName; lorahub --modules NAME=DIR)");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void learns_and_writes_adapter_weights_trace_and_provenance() throws Exception {
        Path out = dir.resolve("out");
        CliRun run =
                learn(
                        "examples.jsonl",
                        out,
                        "--model",
                        modelDir.toString(),
                        "--budget",
                        "30",
                        "--modules",
                        modulesDir.resolve("toy-0").toString(),
                        modulesDir.resolve("toy-1").toString(),
                        modulesDir.resolve("toy-2").toString());

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).contains("COMPLETED after 30 evaluations").contains("toy-2");

        JsonNode weights = JSON.readTree(out.resolve("weights.json").toFile());
        double[] w = new double[3];
        for (int i = 0; i < 3; i++) {
            w[i] = weights.get("toy-" + i).asDouble();
        }
        // the saved adapter carries the LoraHub merge at those weights (truth without Composer)
        LoraModule merged = LoraModule.load(out);
        Map<String, float[]> expected =
                ToyTasks.update(modules, w, ToyTasks.Combination.SEPARATE_SUM);
        for (LoraLayer layer : merged.layers().values()) {
            float[] got = layer.deltaWeight();
            float[] want = expected.get(layer.modulePath());
            for (int i = 0; i < got.length; i++) {
                assertThat((double) got[i]).isCloseTo(want[i], within(1e-5));
            }
        }
        // and it fits the examples better than the base model
        try (EncodedBatch b = model.encode(task.examples())) {
            LoraModule none = ToyTasks.fullRank("none", "toy", Map.of(), model);
            assertThat(model.loss(merged, b)).isLessThan(model.loss(none, b));
        }
        List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
        assertThat(trace.get(0))
                .isEqualTo("index,elapsed_ms,loss,score,best_score,w_toy-0,w_toy-1,w_toy-2");
        assertThat(trace).hasSize(31);
        Provenance p = Provenance.fromJson(Files.readString(out.resolve("provenance.json")));
        assertThat(p.budget()).isEqualTo(30);
        assertThat(p.optimizer()).isEqualTo("cobyla");
        assertThat(p.modules()).allMatch(m -> m.hashed().equals(Provenance.FILE_HASH));
        assertThat(p.modules().get(0).sha256())
                .isEqualTo(LoraModule.load(modulesDir.resolve("toy-0")).sha256().orElseThrow());
    }

    @Test
    void resolves_the_base_model_from_the_adapters_and_takes_a_folder_of_adapters()
            throws Exception {
        Path out = dir.resolve("out");
        CliRun run =
                learnOnPool(
                        "examples.jsonl",
                        out,
                        "--budget",
                        "8",
                        "--select",
                        "random:2",
                        "--strategy",
                        "cat",
                        "--optimizer",
                        "random");

        assertThat(run.exitCode()).as("%s", run).isZero();
        Provenance p = Provenance.fromJson(Files.readString(out.resolve("provenance.json")));
        // CPython: random.seed(42); random.sample(range(3), 2) == [2, 0]
        assertThat(p.modules())
                .extracting(Provenance.ModuleRef::name)
                .containsExactly("toy-2", "toy-0");
        assertThat(p.baseModel()).isEqualTo(modelDir.toString());
        assertThat(p.strategy()).isEqualTo("CAT");
        assertThat(p.selection()).isEqualTo("random:2");
        assertThat(Files.readAllLines(out.resolve("trace.csv"))).hasSize(9);
    }

    @Test
    void bounds_box_every_evaluated_weight_and_are_recorded() throws Exception {
        Path out = dir.resolve("out");
        CliRun run =
                learnOnPool(
                        "examples.jsonl",
                        out,
                        "--budget",
                        "12",
                        "--optimizer",
                        "random",
                        "--bounds",
                        "-0.2,0.3");

        assertThat(run.exitCode()).as("%s", run).isZero();
        Provenance p = Provenance.fromJson(Files.readString(out.resolve("provenance.json")));
        assertThat(p.lowerBound()).isEqualTo(-0.2);
        assertThat(p.upperBound()).isEqualTo(0.3);
        List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
        assertThat(trace).hasSize(13);
        for (String row : trace.subList(1, trace.size())) {
            String[] f = row.split(",");
            for (int i = 5; i < f.length; i++) {
                assertThat(Double.parseDouble(f[i])).as(row).isBetween(-0.2, 0.3);
            }
        }
    }

    @Test
    void bounds_that_do_not_hold_zero_or_are_not_two_numbers_exit_1() {
        CliRun notAroundZero =
                learnOnPool("examples.jsonl", dir.resolve("out"), "--bounds", "0.5,1");
        assertThat(notAroundZero.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(notAroundZero.err()).contains("lower < 0 < upper").contains("[0.5, 1.0]");

        CliRun one = learnOnPool("examples.jsonl", dir.resolve("out"), "--bounds", "1");
        assertThat(one.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(one.err()).contains("--bounds takes LO,HI").contains("'1'");

        CliRun word = learnOnPool("examples.jsonl", dir.resolve("out"), "--bounds", "low,1");
        assertThat(word.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(word.errLines()).hasSize(1);
        assertThat(word.err()).contains("--bounds takes LO,HI").contains("'low,1'");
    }

    @Test
    void a_time_limit_saves_the_best_result_so_far_as_time_limit_reached() throws Exception {
        Path out = dir.resolve("out");
        // 1 ms passes before the first evaluation can start: the run stops before evaluating
        CliRun run = learnOnPool("examples.jsonl", out, "--budget", "500", "--time-limit", "1ms");

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).startsWith("TIME_LIMIT_REACHED after 0 evaluations");
        assertThat(Files.readAllLines(out.resolve("trace.csv"))).hasSize(1); // the header
        JsonNode weights = new ObjectMapper().readTree(out.resolve("weights.json").toFile());
        assertThat(weights.size()).isPositive();
        weights.forEach(w -> assertThat(w.doubleValue()).isZero()); // the start point
    }

    @Test
    void a_time_limit_that_is_not_a_positive_duration_exits_1_naming_it() {
        for (String bad : List.of("0s", "-5s", "5", "soon", "PT0S", "1e99h")) {
            CliRun run = learnOnPool("examples.jsonl", dir.resolve("out"), "--time-limit", bad);
            assertThat(run.exitCode()).as(bad).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
            assertThat(run.errLines()).as(bad).hasSize(1);
            assertThat(run.err())
                    .as(bad)
                    .contains("--time-limit takes a positive duration")
                    .contains("'" + bad + "'");
        }
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void time_limits_parse_in_every_documented_form() {
        assertThat(LearnCommand.duration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(LearnCommand.duration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(LearnCommand.duration("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(LearnCommand.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(LearnCommand.duration("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void text_examples_work_through_the_backends_tokenizer() throws Exception {
        Files.writeString(
                dir.resolve("text.jsonl"),
                "{\"input\": \"2+2=\", \"output\": \"4\"}\n"
                        + "{\"input\": \"3+3=\", \"output\": \"6\"}\n");
        CliRun run = learnOnPool("text.jsonl", dir.resolve("out"), "--budget", "5");
        assertThat(run.exitCode()).as("%s", run).isZero();
    }

    @Test
    void learns_on_the_djl_llama_backend_and_score_confirms_the_reported_loss() throws Exception {
        Path llama = TestData.require("hf-tiny/llama");
        Path examples = dir.resolve("llama.jsonl");
        Files.writeString(
                examples,
                "{\"input_ids\": [1, 17, 42, 99, 7, 150, 3], \"labels\": [-100, -100, -100, 99, 7,"
                        + " 150, 3]}\n"
                        + "{\"input_ids\": [1, 200, 12, 5, 64], \"labels\": [-100, -100, 12, 5,"
                        + " 64]}\n");
        Path out = dir.resolve("llama-out");
        CliRun run =
                learn(
                        examples.getFileName().toString(),
                        out,
                        "--model",
                        llama.resolve("model").toString(),
                        "--modules",
                        llama.resolve("adapters").toString(),
                        "--budget",
                        "10",
                        "--format",
                        "gguf");
        assertThat(run.exitCode()).as("%s", run).isZero();
        // --format gguf: the learned adapter also as llama.cpp's, head size 64 / 4 from --model;
        // it loads back as the PEFT result, factor for factor
        LoraModule peft = LoraModule.load(out);
        LoraModule gguf = LoraModule.load(out.resolve("adapter_model.gguf"));
        assertThat(gguf.config()).isEqualTo(peft.config());
        for (LoraLayer l : peft.layers().values()) {
            assertThat(gguf.layer(l.modulePath()).orElseThrow().loraB())
                    .as(l.modulePath())
                    .containsExactly(l.loraB());
            assertThat(gguf.layer(l.modulePath()).orElseThrow().loraA()).containsExactly(l.loraA());
        }

        Provenance p = Provenance.fromJson(Files.readString(out.resolve("provenance.json")));
        assertThat(p.modules())
                .extracting(Provenance.ModuleRef::name)
                .containsExactly("adapter_0", "adapter_1", "adapter_2");
        // the best loss LoraHub reports (one batch: token-mean CE / 2 examples) is what `score`
        // computes independently for the saved adapter, reloaded from disk
        List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
        double bestLoss = Double.POSITIVE_INFINITY;
        double bestScore = Double.POSITIVE_INFINITY;
        for (String row : trace.subList(1, trace.size())) {
            String[] f = row.split(",");
            if (Double.parseDouble(f[3]) < bestScore) {
                bestScore = Double.parseDouble(f[3]);
                bestLoss = Double.parseDouble(f[2]);
            }
        }
        CliRun score =
                CliRun.of(
                        "score",
                        "--model",
                        llama.resolve("model").toString(),
                        "--adapter",
                        out.toString(),
                        "--examples",
                        examples.toString());
        assertThat(score.exitCode()).as("%s", score).isZero();
        double tokenMean = JSON.readTree(score.out()).get("loss").asDouble();
        assertThat(bestLoss).isCloseTo(tokenMean / 2, within(1e-5));
        // score reads the llama.cpp adapter too, to the same loss
        CliRun scoreGguf =
                CliRun.of(
                        "score",
                        "--model",
                        llama.resolve("model").toString(),
                        "--adapter",
                        out.resolve("adapter_model.gguf").toString(),
                        "--examples",
                        examples.toString());
        assertThat(scoreGguf.exitCode()).as("%s", scoreGguf).isZero();
        assertThat(JSON.readTree(scoreGguf.out()).get("loss").asDouble()).isEqualTo(tokenMean);
    }

    @Test
    void adapter_modes_branch_and_auto_give_the_in_place_losses_in_learn_and_score() throws Exception {
        Path llama = TestData.require("hf-tiny/llama");
        Path examples = dir.resolve("mode.jsonl");
        Files.writeString(
                examples,
                "{\"input_ids\": [1, 17, 42, 99, 7, 150, 3], \"labels\": [-100, -100, -100, 99, 7,"
                        + " 150, 3]}\n");
        String[] modes = {"in-place", "branch", "auto"};
        double[] firstLoss = new double[modes.length];
        double[] scored = new double[modes.length];
        for (int i = 0; i < modes.length; i++) {
            Path out = dir.resolve("mode-" + modes[i]);
            CliRun run =
                    learn(
                            examples.getFileName().toString(),
                            out,
                            "--model",
                            llama.resolve("model").toString(),
                            "--modules",
                            llama.resolve("adapters").toString(),
                            "--budget",
                            "3",
                            "--adapter-mode",
                            modes[i]);
            assertThat(run.exitCode()).as("%s", run).isZero();
            List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
            firstLoss[i] = Double.parseDouble(trace.get(1).split(",")[2]);
            CliRun score =
                    CliRun.of(
                            "score",
                            "--model",
                            llama.resolve("model").toString(),
                            "--adapter",
                            llama.resolve("adapters").resolve("adapter_0").toString(),
                            "--examples",
                            examples.toString(),
                            "--adapter-mode",
                            modes[i]);
            assertThat(score.exitCode()).as("%s", score).isZero();
            scored[i] = JSON.readTree(score.out()).get("loss").asDouble();
        }
        // the same first candidate and the same adapter: the side branch and the patched weight
        // differ by float rounding only (AdapterModeTest: at most 2.2e-7 relative seen)
        for (int i = 1; i < modes.length; i++) {
            assertThat(firstLoss[i])
                    .as(modes[i])
                    .isCloseTo(firstLoss[0], within(1e-5 * Math.abs(firstLoss[0])));
            assertThat(scored[i]).as(modes[i]).isCloseTo(scored[0], within(1e-5 * Math.abs(scored[0])));
        }
        assertThat(scored[0]).isNotEqualTo(0.0);
    }

    @Test
    void adapter_mode_without_model_or_with_an_unknown_value_exits_1_naming_it() {
        CliRun noModel = learnOnPool("examples.jsonl", dir.resolve("o1"), "--adapter-mode", "branch");
        assertThat(noModel.exitCode()).isEqualTo(1);
        assertThat(noModel.err()).contains("--adapter-mode").contains("--model");
        CliRun bad = learnOnPool("examples.jsonl", dir.resolve("o2"), "--adapter-mode", "sideways");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("sideways");
    }

    /** learn on the pool with the model and a recipe; the run must succeed. */
    private CliRun learnRecipe(Path out, String recipe) {
        CliRun run =
                learnOnPool(
                        "examples.jsonl", out, "--model", modelDir.toString(), "--recipe", recipe);
        assertThat(run.exitCode()).as("%s", run).isZero();
        return run;
    }

    /** provenance.json of a recipe run: Adam over every module of the pool, CAT, the budget. */
    private static void assertAdamOverEveryModuleWithCat(Path out, int budget) throws Exception {
        JsonNode p = JSON.readTree(out.resolve("provenance.json").toFile());
        assertThat(p.get("optimizer").asText()).isEqualTo("adam");
        assertThat(p.get("strategy").asText()).isEqualTo("CAT");
        assertThat(p.get("selection").asText()).isEqualTo("all");
        assertThat(p.get("budget").asInt()).isEqualTo(budget);
    }

    @Test
    void recipe_best_learns_by_gradient_over_every_module_and_reports_its_cost() throws Exception {
        Path out = dir.resolve("best");
        CliRun run = learnRecipe(out, "best");
        assertThat(run.out()).contains("COMPLETED after 75 evaluations (225 forward-equivalents)");
        assertAdamOverEveryModuleWithCat(out, 225);

        // an option given beside the recipe overrides it
        CliRun shorter =
                learnOnPool(
                        "examples.jsonl",
                        dir.resolve("best-30"),
                        "--model",
                        modelDir.toString(),
                        "--recipe",
                        "best",
                        "--budget",
                        "30");
        assertThat(shorter.out())
                .contains("COMPLETED after 10 evaluations (30 forward-equivalents)");

        CliRun unknown = learnOnPool("examples.jsonl", dir.resolve("x"), "--recipe", "fast");
        assertThat(unknown.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(unknown.err()).contains("unknown recipe 'fast', known: paper, best, short");
    }

    @Test
    void recipe_short_learns_on_one_example_steps_for_19_forward_equivalents() throws Exception {
        Path out = dir.resolve("short");
        CliRun run = learnRecipe(out, "short");
        // floor((20 - 1) / 3) = 6 epochs at 3 forward-equivalents, then 1 forward on all examples
        assertThat(run.out()).contains("(19 forward-equivalents)");
        assertThat(Recipe.SHORT_BUDGET).isEqualTo(20);
        assertAdamOverEveryModuleWithCat(out, Recipe.SHORT_BUDGET);

        // its mini-batches stay when other options override the recipe: a batch size is refused
        CliRun batched =
                learnOnPool(
                        "examples.jsonl",
                        dir.resolve("short-batched"),
                        "--model",
                        modelDir.toString(),
                        "--recipe",
                        "short",
                        "--batch-size",
                        "2");
        assertThat(batched.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(batched.err()).contains("miniBatch 1 cannot be combined with batchSize 2");
    }

    @Test
    void per_layer_weights_and_early_stopping_run_with_a_gradient_optimizer_and_exit_1_without()
            throws Exception {
        Path out = dir.resolve("layers");
        CliRun run =
                learnOnPool(
                        "examples.jsonl",
                        out,
                        "--model",
                        modelDir.toString(),
                        "--recipe",
                        "best",
                        "--budget",
                        "12",
                        "--per-layer-weights",
                        "--early-stopping");
        assertThat(run.exitCode()).as("%s", run).isZero();
        JsonNode w = JSON.readTree(out.resolve("weights.json").toFile());
        // one weight per module and targeted layer, nested by module
        assertThat(w.fields().next().getValue().isObject()).as("%s", w).isTrue();

        CliRun refused =
                learnOnPool(
                        "examples.jsonl",
                        dir.resolve("no-gradient"),
                        "--model",
                        modelDir.toString(),
                        "--per-layer-weights");
        assertThat(refused.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(refused.errLines()).hasSize(1);
        assertThat(refused.err())
                .contains(
                        "perLayerWeights needs a gradient optimizer (e.g. adam), got optimizer"
                                + " 'cobyla'");
    }

    @Test
    void bad_input_exits_1_with_one_line_naming_the_problem() {
        CliRun tooMany =
                learnOnPool("examples.jsonl", dir.resolve("out"), "--select", "lowest-loss:9");
        assertThat(tooMany.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(tooMany.errLines()).hasSize(1);
        assertThat(tooMany.err()).contains("lowest-loss:9 needs at least 9 modules, got 3");

        CliRun noFolder =
                learn(
                        "examples.jsonl",
                        dir.resolve("out"),
                        "--modules",
                        dir.resolve("missing").toString());
        assertThat(noFolder.exitCode()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(noFolder.err()).contains("missing");

        CliRun badStrategy = learnOnPool("examples.jsonl", dir.resolve("out"), "--strategy", "sum");
        assertThat(badStrategy.exitCode()).isEqualTo(LoraHubCli.EXIT_USAGE);
        assertThat(badStrategy.err()).contains("'sum'");
    }

    @Test
    void format_gguf_with_layers_llama_cpp_cannot_hold_is_refused_before_any_evaluation() {
        Path out = dir.resolve("gguf-out");
        CliRun run = learnOnPool("examples.jsonl", out, "--budget", "5", "--format", "gguf");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        // one line: no progress bar, so no evaluation ran
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err()).contains("--format gguf", "'layers.0.proj'");
        assertThat(out).doesNotExist();
    }

    @Test
    void an_out_folder_that_is_an_input_is_refused_before_any_evaluation() throws IOException {
        Path input = modulesDir.resolve(modules.get(0).name());
        byte[] before = Files.readAllBytes(input.resolve("adapter_model.safetensors"));
        CliRun run = learnOnPool("examples.jsonl", input, "--budget", "5");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        // one line: no progress bar, so no evaluation ran
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err()).contains("refusing to write to " + input);
        assertThat(Files.readAllBytes(input.resolve("adapter_model.safetensors")))
                .isEqualTo(before);
        assertThat(input.resolve("trace.csv")).doesNotExist();
    }

    @Test
    void ids_the_model_rejects_are_named_with_the_examples_file_before_the_run()
            throws IOException {
        Path llama = TestData.require("hf-tiny/llama");
        Path examples = dir.resolve("oov.jsonl");
        Files.writeString(examples, "{\"input_ids\": [1, 17, 42]}\n{\"input_ids\": [1, 256]}\n");
        CliRun run =
                learn(
                        "oov.jsonl",
                        dir.resolve("oov-out"),
                        "--model",
                        llama.resolve("model").toString(),
                        "--modules",
                        llama.resolve("adapters").toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(LoraHubCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.err()).contains(examples + ": input ids of example 1: id 256 at position 1");
    }
}
