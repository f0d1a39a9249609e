package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.HfTinyReference;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.ModelClosedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One LLaMA or T5 model shared by 8 threads, each making 50 calls (loss and greedy generation) with
 * adapters that differ between threads and calls: every result equals the single-threaded one bit
 * for bit, and the base weights are bit-identical afterwards. A model closed while other threads
 * use it fails them with {@link ModelClosedException} only.
 */
class SharedModelThreadsTest {
    private static final int THREADS = 8;
    private static final int CALLS = 50;
    private static final int ADAPTERS = MixedAdapters.ADAPTERS;

    /** Call {@code c} of thread {@code t}: which adapter, and loss or generation. */
    private static Object call(BaseModel model, MixedAdapters s, int t, int c) {
        LoraModule adapter = s.adapters().get((t * 3 + c) % ADAPTERS);
        if ((t + c) % 4 == 0) {
            List<int[]> prompts = new ArrayList<>();
            for (FewShotExample e : s.examples()) {
                prompts.add(e.inputIds().orElseThrow());
            }
            List<int[]> out = model.generate(adapter, prompts, GenerationConfig.greedy(4));
            List<List<Integer>> boxed = new ArrayList<>();
            for (int[] row : out) {
                boxed.add(Arrays.stream(row).boxed().toList());
            }
            return boxed;
        }
        try (EncodedBatch batch = model.encode(s.examples())) {
            return Double.doubleToRawLongBits(model.loss(adapter, batch));
        }
    }


    @ParameterizedTest
    @ValueSource(strings = {"hf-tiny/llama", "hf-tiny/t5"})
    void eight_threads_times_fifty_calls_give_the_single_threaded_results_bit_for_bit(String name)
            throws Exception {
        MixedAdapters s = MixedAdapters.of(name);
        try (BaseModel model = ModelBackends.load(s.fx().model())) {
            Map<String, float[]> before = HfTinyReference.baseWeights(model);
            // GIVEN the results of every (thread, call) computed on one thread
            Object[][] alone = new Object[THREADS][CALLS];
            for (int t = 0; t < THREADS; t++) {
                for (int c = 0; c < CALLS; c++) {
                    alone[t][c] = call(model, s, t, c);
                }
            }
            // WHEN 8 threads make the same calls at once
            Object[][] shared = new Object[THREADS][CALLS];
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    futures.add(
                            pool.submit(
                                    () -> {
                                        go.await();
                                        for (int c = 0; c < CALLS; c++) {
                                            shared[thread][c] = call(model, s, thread, c);
                                        }
                                        return null;
                                    }));
                }
                go.countDown();
                for (Future<?> f : futures) {
                    f.get(5, TimeUnit.MINUTES); // rethrows any exception of a thread
                }
            } finally {
                pool.shutdownNow();
            }
            // THEN every result is the single-threaded one, and the base is untouched
            int distinct = 0;
            for (int t = 0; t < THREADS; t++) {
                for (int c = 0; c < CALLS; c++) {
                    assertThat(shared[t][c]).as("thread %d call %d", t, c).isEqualTo(alone[t][c]);
                }
            }
            for (int a = 0; a < ADAPTERS; a++) {
                distinct += alone[0][0].equals(alone[a % THREADS][a]) ? 0 : 1;
            }
            assertThat(distinct).as("the adapters give different results").isPositive();
            Map<String, float[]> after = HfTinyReference.baseWeights(model);
            assertThat(after.keySet()).isEqualTo(before.keySet());
            before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-tiny/llama", "hf-tiny/t5"})
    void a_model_closed_while_threads_use_it_fails_them_with_model_closed_exception_only(
            String name) throws Exception {
        MixedAdapters s = MixedAdapters.of(name);
        BaseModel model = ModelBackends.load(s.fx().model());
        AtomicInteger done = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(4);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Integer>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            futures.add(
                    pool.submit(
                            () -> {
                                started.countDown();
                                int c = 0;
                                while (true) { // until the model refuses
                                    call(model, s, thread, c++);
                                    done.incrementAndGet();
                                }
                            }));
        }
        started.await();
        while (done.get() < 8) {
            Thread.sleep(1);
        }
        // close waits for the call in progress, then every thread's next call is refused
        model.close();
        pool.shutdown();
        for (Future<Integer> f : futures) {
            assertThatThrownBy(() -> f.get(1, TimeUnit.MINUTES))
                    .cause()
                    .isExactlyInstanceOf(ModelClosedException.class)
                    .hasMessageContaining("model is closed");
        }
        assertThatThrownBy(() -> model.encode(s.examples()))
                .isExactlyInstanceOf(ModelClosedException.class);
        assertThatThrownBy(
                        () ->
                                LoraHub.compose(s.adapters().subList(0, 2))
                                        .fewShot(s.examples())
                                        .on(model)
                                        .budget(3)
                                        .run())
                .isExactlyInstanceOf(ModelClosedException.class);
        model.close(); // idempotent
    }
}
