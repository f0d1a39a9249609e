package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.testkit.ToyModel;
import dev.lorahub.testkit.ToyModelConfig;
import dev.lorahub.testkit.ToyTask;
import dev.lorahub.testkit.ToyTasks;
import dev.lorahub.testkit.ToyTasks.Combination;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stopping a LoraHub run: a {@link Cancellation} handle, an interrupt of the running thread, a
 * time limit. Each returns the best evaluation so far (the truth: the evaluations the listener saw)
 * with a state that says why, instead of throwing. A stop that is not honoured makes the long runs
 * here run on: the timeout turns that into a failure.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LoraHubStopTest {
    private static final double[] TRUTH = {0.8, -0.5, 0.0, 0.6};

    /** Evaluates the start point again and again, one evaluation per call, until the budget. */
    private static final Optimizer ONE_AT_A_TIME =
            (objective, space, budget, seed) -> {
                double best = Double.POSITIVE_INFINITY;
                for (int i = 0; i < budget; i++) {
                    best = Math.min(best, objective.applyAsDouble(space.start()));
                }
                return new OptimizationResult(
                        space.start(),
                        best,
                        budget,
                        List.of(),
                        OptimizationResult.State.COMPLETED);
            };

    @TempDir Path tmp;

    private final ToyModel model = ToyModel.create(ToyModelConfig.small());
    private final List<LoraModule> modules = ToyTasks.modules(model.config(), "toy", 4, 2, 1L);
    private final ToyTask task =
            ToyTasks.task(model, modules, TRUTH, Combination.SEPARATE_SUM, 5, 16, 3L);

    /** The modules saved and loaded back: their weights hash is read from the files on use. */
    private List<LoraModule> loadedModules(String baseModel) throws IOException {
        List<LoraModule> out = new ArrayList<>();
        for (LoraModule m : ToyTasks.modules(model.config(), baseModel, 4, 2, 1L)) {
            Path d = tmp.resolve(m.name());
            m.save(d);
            out.add(LoraModule.load(d));
        }
        return out;
    }

    /** The result is the lowest score among the evaluations the listener saw, merged at them. */
    private void assertBestOf(List<TracePoint> seen, LoraHubResult r, Composer composer) {
        assertThat(r.trace()).isEqualTo(seen);
        TracePoint best = seen.get(0);
        for (TracePoint p : seen) {
            best = p.score() < best.score() ? p : best;
        }
        assertThat(r.weightArray()).containsExactly(best.weights());
        assertThat(r.bestScore()).isEqualTo(best.score());
        assertThat(r.bestLoss()).isEqualTo(best.loss());
        LoraModule expected = composer.merge("lorahub", modules, best.weights());
        assertThat(ContentHash.sha256(r.merged())).isEqualTo(ContentHash.sha256(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cobyla", "random", "quadratic", "bobyqa", "cmaes", "quadratic-batch"})
    void a_handle_cancelled_after_five_evaluations_returns_the_best_of_them_as_cancelled(
            String optimizer) {
        Cancellation cancel = new Cancellation();
        List<TracePoint> seen = new ArrayList<>();
        LoraHubResult r =
                LoraHub.compose(modules)
                        .fewShot(task.examples())
                        .on(model)
                        .optimizer(optimizer)
                        .budget(60)
                        .cancellation(cancel)
                        .listener(
                                p -> {
                                    seen.add(p);
                                    if (p.index() == 5) {
                                        cancel.cancel(); // as another thread would
                                    }
                                })
                        .run();

        assertThat(r.state()).isEqualTo(LoraHubResult.State.CANCELLED);
        // noticed before the next evaluation: at 5 for the sequential optimizers, at the end of
        // the batch holding the 5th for the batched ones (random, cmaes, quadratic-batch)
        assertThat(seen.size()).as(optimizer).isBetween(5, 59);
        if (List.of("cobyla", "quadratic", "bobyqa").contains(optimizer)) {
            assertThat(seen).as(optimizer).hasSize(5);
        }
        assertBestOf(seen, r, Composer.of(MergeStrategy.LORAHUB));
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void a_gradient_run_cancelled_after_four_steps_returns_the_best_of_them_as_cancelled() {
        Cancellation cancel = new Cancellation();
        List<TracePoint> seen = new ArrayList<>();
        LoraHubResult r =
                LoraHub.compose(modules)
                        .fewShot(task.examples())
                        .on(model)
                        .strategy(MergeStrategy.CAT)
                        .optimizer("adam")
                        .budget(150)
                        .cancellation(cancel)
                        .listener(
                                p -> {
                                    seen.add(p);
                                    if (p.index() == 4) {
                                        cancel.cancel();
                                    }
                                })
                        .run();

        assertThat(r.state()).isEqualTo(LoraHubResult.State.CANCELLED);
        assertThat(seen).hasSize(4); // one value-and-gradient evaluation per step
        assertThat(r.forwardEquivalents()).isEqualTo(4 * GradientOptimizer.COST_PER_STEP);
        assertBestOf(seen, r, Composer.of(MergeStrategy.CAT));
    }

    @Test
    void cancelling_from_another_thread_stops_a_long_run() throws Exception {
        Cancellation cancel = new Cancellation();
        List<TracePoint> seen = new ArrayList<>();
        Thread canceller =
                new Thread(
                        () -> {
                            try {
                                Thread.sleep(300);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            cancel.cancel();
                        });
        canceller.start();
        LoraHubResult r =
                LoraHub.compose(modules)
                        .fewShot(task.examples())
                        .on(model)
                        .optimizer("random")
                        .budget(1_000_000)
                        .cancellation(cancel)
                        .listener(seen::add)
                        .run();
        canceller.join();

        assertThat(r.state()).isEqualTo(LoraHubResult.State.CANCELLED);
        assertThat(seen.size()).isBetween(1, 999_999);
        assertBestOf(seen, r, Composer.of(MergeStrategy.LORAHUB));
    }

    @Test
    void interrupting_the_running_thread_cancels_the_run_and_keeps_its_interrupt_status() {
        List<TracePoint> seen = new ArrayList<>();
        LoraHubResult r;
        try {
            r =
                    LoraHub.compose(modules)
                            .fewShot(task.examples())
                            .on(model)
                            .budget(40)
                            .listener(
                                    p -> {
                                        seen.add(p);
                                        if (p.index() == 3) {
                                            Thread.currentThread().interrupt();
                                        }
                                    })
                            .run();
        } finally {
            assertThat(Thread.interrupted()).as("interrupt status after the run").isTrue();
        }
        assertThat(r.state()).isEqualTo(LoraHubResult.State.CANCELLED);
        assertThat(seen).hasSize(3);
        assertBestOf(seen, r, Composer.of(MergeStrategy.LORAHUB));
    }

    @Test
    void a_thread_interrupted_before_the_run_still_reads_the_module_files_and_returns_cancelled()
            throws IOException {
        // hashing the loaded modules reads their files: an interrupted thread cannot (the channel
        // closes with ClosedByInterruptException), so the run must take the interrupt in first
        List<LoraModule> loaded = loadedModules("toy");
        Thread.currentThread().interrupt();
        LoraHubResult r;
        try {
            r = LoraHub.compose(loaded).fewShot(task.examples()).on(model).budget(40).run();
        } finally {
            assertThat(Thread.interrupted()).as("interrupt status after the run").isTrue();
        }
        assertThat(r.state()).isEqualTo(LoraHubResult.State.CANCELLED);
        assertThat(r.trace()).isEmpty();
        assertThat(r.weightArray()).containsOnly(0.0);
        assertThat(r.bestScore()).isNaN();
        assertThat(r.provenance().modules())
                .extracting(Provenance.ModuleRef::sha256)
                .containsExactlyElementsOf(
                        loaded.stream().map(m -> m.sha256().orElseThrow()).toList());
    }

    @Test
    void a_handle_cancelled_before_the_run_makes_no_evaluation_and_loads_no_model()
            throws IOException {
        // a base model path that does not exist: loading it would fail the run
        List<LoraModule> loaded = loadedModules(tmp.resolve("no-such-model").toString());
        assertThatThrownBy(() -> LoraHub.compose(loaded).fewShot(task.examples()).run())
                .hasMessageContaining("no-such-model");
        Cancellation cancel = new Cancellation();
        cancel.cancel();

        LoraHubResult r =
                LoraHub.compose(loaded)
                        .fewShot(task.examples())
                        .select(ModuleSelection.lowestLoss(2))
                        .cancellation(cancel)
                        .run();

        assertThat(r.state()).isEqualTo(LoraHubResult.State.CANCELLED);
        assertThat(r.trace()).isEmpty();
        assertThat(r.singleModuleLosses()).isEmpty();
        assertThat(r.moduleNames()).containsExactly(loaded.get(0).name(), loaded.get(1).name());
        assertThat(r.weightArray()).containsExactly(0.0, 0.0);
    }

    @Test
    void a_time_limit_stops_the_run_between_evaluations_as_time_limit_reached() {
        Duration limit = Duration.ofMillis(300);
        long sleepMillis = 20;
        List<TracePoint> seen = new ArrayList<>();
        long t0 = System.nanoTime();
        LoraHubResult r =
                LoraHub.compose(modules)
                        .fewShot(task.examples())
                        .on(model)
                        .optimizer(ONE_AT_A_TIME)
                        .budget(100_000)
                        .timeLimit(limit)
                        .listener(
                                p -> {
                                    seen.add(p);
                                    try {
                                        Thread.sleep(sleepMillis);
                                    } catch (InterruptedException e) {
                                        throw new AssertionError(e);
                                    }
                                })
                        .run();
        long wallMillis = (System.nanoTime() - t0) / 1_000_000;

        assertThat(r.state()).isEqualTo(LoraHubResult.State.TIME_LIMIT_REACHED);
        assertThat(wallMillis).as("stopped because the limit passed").isGreaterThanOrEqualTo(300);
        // evaluation i starts at least (i - 1) * 20 ms in, and only before the limit
        assertThat(seen.size()).isBetween(1, (int) (limit.toMillis() / sleepMillis) + 1);
        assertBestOf(seen, r, Composer.of(MergeStrategy.LORAHUB));
    }

    @Test
    void a_time_limit_must_be_positive() {
        LearnStep step = LoraHub.compose(modules).fewShot(task.examples());
        assertThatThrownBy(() -> step.timeLimit(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeLimit must be positive, got PT0S");
        assertThatThrownBy(() -> step.timeLimit(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeLimit must be positive, got PT-1S");
    }
}
