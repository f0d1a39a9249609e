package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.Cancellation;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.HfTinyReference;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.spi.EncodedBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * LoraHub runs on one shared hf-tiny LLaMA model: runs from several threads at once give the
 * results they give alone, and a run cancelled or interrupted mid-search leaves the base weights
 * bit-identical and the model answering as before.
 */
class SharedModelRunsTest {
    private static final int RUNS = 4;

    private static List<FewShotExample> examples(HfTinyReference fx) {
        int[][] ids = HfTinyReference.ints(fx.inputs.get("input_ids"));
        int[][] mask = HfTinyReference.ints(fx.inputs.get("attention_mask"));
        List<FewShotExample> out = new ArrayList<>();
        for (int r = 0; r < ids.length; r++) {
            int n = 0;
            while (n < ids[r].length && mask[r][n] == 1) {
                n++;
            }
            int[] in = Arrays.copyOf(ids[r], n);
            out.add(FewShotExample.tokenized(in, in));
        }
        return out;
    }

    /** Run {@code i}: its own seed and module order, so that the runs differ. */
    private static LoraHubResult run(
            LlamaBaseModel model, List<LoraModule> three, List<FewShotExample> ex, int i) {
        List<LoraModule> order = new ArrayList<>(three);
        java.util.Collections.rotate(order, i);
        return LoraHub.compose(order)
                .fewShot(ex)
                .on(model)
                .strategy(MergeStrategy.CAT)
                .optimizer("random")
                .budget(6)
                .seed(100 + i)
                .run();
    }

    @Test
    void lorahub_runs_from_four_threads_on_one_model_give_their_single_threaded_results()
            throws Exception {
        HfTinyReference fx = new HfTinyReference("hf-tiny/llama") {};
        List<LoraModule> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(fx.adapter("adapter_" + i));
        }
        List<FewShotExample> ex = examples(fx);
        try (LlamaBaseModel model = (LlamaBaseModel) ModelBackends.load(fx.model())) {
            Map<String, float[]> before = HfTinyReference.baseWeights(model);
            List<List<Double>> alone = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                alone.add(scores(run(model, three, ex, i)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(RUNS);
            try {
                List<Future<LoraHubResult>> futures = new ArrayList<>();
                for (int i = 0; i < RUNS; i++) {
                    int run = i;
                    futures.add(pool.submit(() -> run(model, three, ex, run)));
                }
                for (int i = 0; i < RUNS; i++) {
                    assertThat(scores(futures.get(i).get(5, TimeUnit.MINUTES)))
                            .as("run %d", i)
                            .isEqualTo(alone.get(i));
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(alone.get(0)).isNotEqualTo(alone.get(1));
            Map<String, float[]> after = HfTinyReference.baseWeights(model);
            before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
        }
    }

    /** Every evaluation's score, bit for bit. */
    private static List<Double> scores(LoraHubResult r) {
        return r.trace().stream().map(p -> p.score()).toList();
    }

    @Test
    void a_run_cancelled_or_interrupted_mid_search_leaves_the_model_as_it_was() throws Exception {
        HfTinyReference fx = new HfTinyReference("hf-tiny/llama") {};
        List<LoraModule> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(fx.adapter("adapter_" + i));
        }
        List<FewShotExample> ex = examples(fx);
        try (LlamaBaseModel model = (LlamaBaseModel) ModelBackends.load(fx.model())) {
            Map<String, float[]> before = HfTinyReference.baseWeights(model);
            long lossBefore;
            try (EncodedBatch b = model.encode(ex)) {
                lossBefore = Double.doubleToRawLongBits(model.loss(three.get(0), b));
            }
            Cancellation cancel = new Cancellation();
            LoraHubResult cancelled =
                    LoraHub.compose(three)
                            .fewShot(ex)
                            .on(model)
                            .budget(30)
                            .cancellation(cancel)
                            .listener(
                                    p -> {
                                        if (p.index() == 3) {
                                            cancel.cancel();
                                        }
                                    })
                            .run();
            LoraHubResult interrupted;
            try {
                interrupted =
                        LoraHub.compose(three)
                                .fewShot(ex)
                                .on(model)
                                .budget(30)
                                .listener(
                                        p -> {
                                            if (p.index() == 2) {
                                                Thread.currentThread().interrupt();
                                            }
                                        })
                                .run();
            } finally {
                assertThat(Thread.interrupted()).isTrue();
            }

            assertThat(cancelled.state()).isEqualTo(LoraHubResult.State.CANCELLED);
            assertThat(cancelled.trace()).hasSize(3);
            assertThat(interrupted.state()).isEqualTo(LoraHubResult.State.CANCELLED);
            assertThat(interrupted.trace()).hasSize(2);
            Map<String, float[]> after = HfTinyReference.baseWeights(model);
            before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
            try (EncodedBatch b = model.encode(ex)) {
                assertThat(Double.doubleToRawLongBits(model.loss(three.get(0), b)))
                        .isEqualTo(lossBefore);
            }
        }
    }
}
