package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.model.BaseModel;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.TextTokenizer;
import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Module selection, the listener and the provenance of a run. */
class LoraHubSelectionTest {
    static final ToyModel MODEL = ToyModel.create(ToyModelConfig.small());
    static final List<LoraModule> POOL = ToyTasks.modules(MODEL.config(), "toy", 6, 2, 11L);
    static final ToyTask TASK =
            ToyTasks.task(
                    MODEL,
                    POOL,
                    new double[] {0, 0.9, 0, 0, -0.7, 0},
                    ToyTasks.Combination.EXACT_SUM,
                    5,
                    64,
                    5L);

    static LearnStep step() {
        return LoraHub.compose(POOL)
                .fewShot(TASK.examples())
                .on(MODEL)
                .optimizer(new LocalRandomSearch())
                .budget(5);
    }

    @Test
    void random_selection_draws_what_python_random_sample_draws() {
        // CPython: random.seed(42); random.sample(range(6), 3) == [5, 0, 4]; seed 7: [2, 1, 3]
        assertThat(step().select(ModuleSelection.random(3)).run().moduleNames())
                .containsExactly("toy-5", "toy-0", "toy-4");
        assertThat(step().seed(7).select(ModuleSelection.random(3)).run().moduleNames())
                .containsExactly("toy-2", "toy-1", "toy-3");
    }

    @Test
    void lowest_loss_selection_keeps_the_k_best_single_modules_best_first() {
        LoraHubResult r = step().select(ModuleSelection.lowestLoss(2)).run();

        double[] single = new double[POOL.size()];
        try (EncodedBatch b = MODEL.encode(TASK.examples())) {
            for (int i = 0; i < single.length; i++) {
                single[i] = MODEL.loss(POOL.get(i), b) / TASK.examples().size();
            }
        }
        List<String> expected =
                IntStream.range(0, single.length)
                        .boxed()
                        .sorted(Comparator.comparingDouble(i -> single[i]))
                        .limit(2)
                        .map(i -> POOL.get(i).name())
                        .toList();
        assertThat(r.moduleNames()).containsExactlyElementsOf(expected);
        for (int i = 0; i < single.length; i++) {
            assertThat(r.singleModuleLosses().get(POOL.get(i).name()))
                    .isCloseTo(single[i], within(1e-15));
        }
        assertThat(r.provenance().selection()).isEqualTo("lowest-loss:2");
        assertThat(r.provenance().poolSize()).isEqualTo(6);
    }

    @Test
    void listener_sees_every_evaluation_in_order() {
        List<String> started = new ArrayList<>();
        List<TracePoint> seen = new ArrayList<>();
        LoraHubResult[] finished = new LoraHubResult[1];
        LoraHubListener listener =
                new LoraHubListener() {
                    @Override
                    public void onStart(List<String> names, int budget) {
                        started.add(names + "/" + budget);
                    }

                    @Override
                    public void onEvaluation(TracePoint p) {
                        seen.add(p);
                    }

                    @Override
                    public void onFinish(LoraHubResult result) {
                        finished[0] = result;
                    }
                };

        LoraHubResult r = step().budget(12).listener(listener).run();

        assertThat(started).containsExactly("[toy-0, toy-1, toy-2, toy-3, toy-4, toy-5]/12");
        assertThat(seen).containsExactlyElementsOf(r.trace());
        assertThat(seen)
                .extracting(TracePoint::index)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 12).boxed().toList());
        double best = Double.POSITIVE_INFINITY;
        long lastElapsed = -1;
        for (TracePoint p : seen) {
            best = Math.min(best, p.score());
            assertThat(p.bestScore()).isEqualTo(best);
            assertThat(p.elapsed().toNanos()).isGreaterThanOrEqualTo(lastElapsed);
            lastElapsed = p.elapsed().toNanos();
        }
        assertThat(r.bestScore()).isEqualTo(best);
        assertThat(finished[0]).isSameAs(r);
    }

    @Test
    void provenance_records_the_run_and_round_trips_through_json() {
        LoraHubResult r = step().seed(3).budget(4).regularization(0.1).batchSize(2).run();
        Provenance p = r.provenance();

        assertThat(p.modules())
                .extracting(Provenance.ModuleRef::name)
                .containsExactlyElementsOf(r.moduleNames());
        assertThat(p.modules())
                .extracting(Provenance.ModuleRef::sha256)
                .allMatch(h -> h.matches("[0-9a-f]{64}"))
                .doesNotHaveDuplicates();
        assertThat(p.seed()).isEqualTo(3);
        assertThat(p.budget()).isEqualTo(4);
        assertThat(p.regularization()).isEqualTo(0.1);
        assertThat(p.batchSize()).isEqualTo(2);
        assertThat(p.examples()).isEqualTo(5);
        assertThat(p.strategy()).isEqualTo("LORAHUB");
        assertThat(p.optimizer()).isEqualTo("test-local-random-search");
        assertThat(p.baseModel()).isEqualTo(ToyModel.MODEL_TYPE);
        assertThat(p.libraryVersion()).as("filtered from the pom").matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(Provenance.fromJson(p.toJson())).isEqualTo(p);
    }

    @Test
    void provenance_hashes_the_file_of_a_loaded_module_and_the_tensors_of_others(@TempDir Path dir)
            throws Exception {
        POOL.get(0).save(dir.resolve("saved"));
        LoraModule loaded = LoraModule.load(dir.resolve("saved"));
        LoraHubResult r =
                LoraHub.compose(loaded, POOL.get(1))
                        .fewShot(TASK.examples())
                        .on(MODEL)
                        .optimizer(new LocalRandomSearch())
                        .budget(2)
                        .run();

        assertThat(r.provenance().modules())
                .containsExactly(
                        new Provenance.ModuleRef(
                                "saved", loaded.sha256().orElseThrow(), Provenance.FILE_HASH),
                        new Provenance.ModuleRef(
                                "toy-1",
                                r.provenance().modules().get(1).sha256(),
                                Provenance.CONTENT_HASH));
        assertThat(loaded.sha256().orElseThrow())
                .isEqualTo(
                        sha256(Files.readAllBytes(dir.resolve("saved/adapter_model.safetensors"))));
    }

    @Test
    void save_writes_a_loadable_adapter_with_sidecars_and_can_replace_its_own_output(
            @TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        POOL.get(0).save(dir.resolve("pool/a"));
        POOL.get(1).save(dir.resolve("pool/b"));
        LearnStep step =
                LoraHub.load(List.of(dir.resolve("pool/a"), dir.resolve("pool/b")))
                        .fewShot(TASK.examples())
                        .on(MODEL)
                        .optimizer(new LocalRandomSearch())
                        .budget(3);
        LoraHubResult first = step.run();
        first.save(out);
        LoraHubResult second = step.seed(9).run();
        second.save(out);

        assertThat(Files.readString(out.resolve("trace.csv"))).isEqualTo(second.traceCsv());
        assertThat(Files.readString(out.resolve("weights.json"))).isEqualTo(second.weightsJson());
        assertThat(Provenance.fromJson(Files.readString(out.resolve("provenance.json"))).seed())
                .isEqualTo(9);
        assertThat(LoraModule.load(out).layers().keySet())
                .isEqualTo(second.merged().layers().keySet());
        assertThat(second.moduleNames()).containsExactly("a", "b");

        Files.writeString(out.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> second.save(out)).hasMessageContaining("notes.txt");
        assertThat(out.resolve("weights.json")).exists();
    }

    @Test
    void save_with_extra_files_writes_them_in_the_same_folder_and_can_replace_it(
            @TempDir Path dir) throws Exception {
        LearnStep step =
                LoraHub.compose(POOL.subList(0, 2))
                        .fewShot(TASK.examples())
                        .on(MODEL)
                        .optimizer(new LocalRandomSearch())
                        .budget(3);
        LoraHubResult r = step.run();
        Path out = dir.resolve("out");
        r.save(out, Map.of("job.json", "{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(Files.readString(out.resolve("job.json"))).isEqualTo("{\"a\":1}");
        assertThat(Files.readString(out.resolve("weights.json"))).isEqualTo(r.weightsJson());
        r.save(out, Map.of("job.json", new byte[] {2}));
        assertThat(Files.readAllBytes(out.resolve("job.json"))).containsExactly(2);
        assertThatThrownBy(() -> r.save(dir.resolve("other"), Map.of("trace.csv", new byte[0])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'trace.csv'");
        assertThat(dir.resolve("other")).doesNotExist();
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void timing_puts_time_spent_in_the_backend_under_forward_and_time_merging_under_composition() {
        // GIVEN a backend that sleeps 5 ms per loss call and a composer whose listener sleeps
        // 40 ms per merged layer (the toy modules have two layers: 80 ms per candidate)
        long lossSleep = 5;
        long layerSleep = 40;
        int[] lossCalls = {0};
        int[] layersMerged = {0};
        BaseModel slow =
                new BaseModel() {
                    @Override
                    public String modelType() {
                        return MODEL.modelType();
                    }

                    @Override
                    public Map<String, LinearShape> linearModules() {
                        return MODEL.linearModules();
                    }

                    @Override
                    public Optional<TextTokenizer> tokenizer() {
                        return MODEL.tokenizer();
                    }

                    @Override
                    public EncodedBatch encode(List<FewShotExample> examples) {
                        return MODEL.encode(examples);
                    }

                    @Override
                    public double loss(LoraModule adapter, EncodedBatch batch) {
                        lossCalls[0]++;
                        sleep(lossSleep);
                        return MODEL.loss(adapter, batch);
                    }

                    @Override
                    public List<int[]> generate(
                            LoraModule adapter, List<int[]> promptIds, GenerationConfig config) {
                        return MODEL.generate(adapter, promptIds, config);
                    }

                    @Override
                    public void close() {}
                };
        Composer slowMerge =
                Composer.of(MergeStrategy.LORAHUB)
                        .listener(
                                (done, total, path) -> {
                                    layersMerged[0]++;
                                    sleep(layerSleep);
                                });

        // WHEN
        LoraHubResult r =
                LoraHub.compose(POOL)
                        .fewShot(TASK.examples())
                        .on(slow)
                        .optimizer(new LocalRandomSearch())
                        .composer(slowMerge)
                        .budget(8)
                        .run();
        LoraHubResult.Timing t = r.timing();

        // THEN each part holds at least its own sleeps (a sleep never ends early), so swapping the
        // two or dropping one fails a lower bound; and forward holds none of the composition's
        // sleeps: timing the candidates' composition as forward would add 80 ms per candidate
        // (all but the final merge), while the work besides the sleeps is well under a
        // millisecond per loss call on the toy model (the bound leaves half of it, 40 ms per
        // candidate, for scheduling noise on a loaded machine)
        long forwardSleeps = lossCalls[0] * lossSleep;
        long compositionSleeps = layersMerged[0] * layerSleep;
        assertThat(lossCalls[0]).as("loss calls").isGreaterThanOrEqualTo(8);
        assertThat(layersMerged[0]).as("layers merged").isGreaterThanOrEqualTo(8 * 2);
        assertThat(t.forward().toMillis())
                .as("%s", t)
                .isGreaterThanOrEqualTo(forwardSleeps)
                .isLessThan(forwardSleeps + compositionSleeps / 2);
        assertThat(t.composition().toMillis())
                .as("%s", t)
                .isGreaterThanOrEqualTo(compositionSleeps);
        assertThat(t.wall().toMillis())
                .as("%s", t)
                .isGreaterThanOrEqualTo(forwardSleeps + compositionSleeps);
        assertThat(t.other().isNegative()).as("%s", t).isFalse();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
