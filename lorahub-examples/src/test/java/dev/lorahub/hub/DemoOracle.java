package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.Composer;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.llama.LlamaFiles;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.djl.train.LoraPair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a demo run against an independent decoder: the demo runs on the library path (backend
 * loading, in-place LoRA, KV-cached batched left-padded generation, the HF tokenizer); the oracle
 * re-derives each row's answers another way.
 */
final class DemoOracle {
    private DemoOracle() {}

    /**
     * Independent truth for the demo's answers: the hub's Java tokenizer and prompt layout ({@code
     * <s> input >}), the model read by {@link LlamaFiles} on its own, the adapter as a side branch
     * of the trainer's forward ({@code y = x W^T + s (x A^T) B^T}, not patched in place), and
     * greedy decoding one prompt at a time with a full forward per token (no padding, no KV cache).
     */
    private static final class NaiveDecoder implements AutoCloseable {
        private final NDManager root = NDManager.newBaseManager();
        private final LlamaModel model;
        private final CharTokenizer tokenizer = new CharTokenizer();

        NaiveDecoder(Path base) throws IOException {
            model = LlamaFiles.load(base, root);
        }

        List<String> answers(LoraModule adapter, List<int[]> prompts) {
            List<String> out = new ArrayList<>();
            for (int[] prompt : prompts) {
                out.add(tokenizer.decode(greedy(adapter, prompt)));
            }
            return out;
        }

        private int[] greedy(LoraModule adapter, int[] prompt) {
            List<Integer> seq = new ArrayList<>();
            Arrays.stream(prompt).forEach(seq::add);
            List<Integer> out = new ArrayList<>();
            for (int step = 0; step < Demo.MAX_NEW_TOKENS; step++) {
                try (NDManager scope = root.newSubManager()) {
                    long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
                    NDArray logits =
                            model.logits(
                                    scope.create(ids, new Shape(1, ids.length)),
                                    pairs(adapter, scope));
                    int next = (int) logits.get(new NDIndex("0, -1, :")).argMax().getLong();
                    if (next == CharTokenizer.EOS) {
                        break;
                    }
                    out.add(next);
                    seq.add(next);
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        private static Map<String, LoraPair> pairs(LoraModule adapter, NDManager scope) {
            Map<String, LoraPair> pairs = new LinkedHashMap<>();
            for (LoraLayer l : adapter.layers().values()) {
                pairs.put(
                        l.modulePath(),
                        new LoraPair(
                                scope.create(l.loraA(), new Shape(l.rank(), l.inFeatures())),
                                scope.create(l.loraB(), new Shape(l.outFeatures(), l.rank())),
                                (float) l.scaling()));
            }
            return pairs;
        }

        @Override
        public void close() {
            model.close();
            root.close();
        }
    }

    /**
     * Every row whose adapter the report pins down (zero-shot, in-context, best single, uniform,
     * lorahub_best from its reported weights, the ceiling) must give, answer for answer, what the
     * naive decoder gives; and each score is the share of answers equal to the test outputs.
     *
     * @param hub the hub the demo ran on
     * @param s the demo's settings
     * @param r the demo's result
     * @param minNonEmpty how many of the compared answers must be non-empty (an all-EOS model would
     *     make the comparison vacuous)
     */
    static void assertAnswersMatchNaiveDecoding(
            Path hub, DemoSettings s, DemoResult r, int minNonEmpty) throws IOException {
        HubLayout layout = new HubLayout(hub);
        Prompts prompts = new Prompts(new CharTokenizer());
        Map<String, LoraModule> pool = new LinkedHashMap<>();
        for (Task t : TaskSuite.poolTasks()) {
            pool.put(t.name(), LoraModule.load(layout.module(t.name())));
        }
        LoraModule first = pool.values().iterator().next();
        LoraModule none = new LoraModule("base", first.config(), List.of());
        double[] uniform = new double[pool.size()];
        Arrays.fill(uniform, 1.0 / pool.size());
        LoraModule uniformMerge =
                Composer.of(MergeStrategy.CAT).merge("u", List.copyOf(pool.values()), uniform);
        int compared = 0;
        int nonEmpty = 0;
        try (NaiveDecoder naive = new NaiveDecoder(layout.base())) {
            for (DemoResult.TaskReport t : r.tasks()) {
                String name = t.task();
                List<TaskExample> test =
                        Jsonl.read(layout.heldOutTest(name)).subList(0, s.testExamples());
                List<TaskExample> shots =
                        Demo.draw(
                                Jsonl.read(layout.heldOutTrain(name)),
                                s.shots(),
                                s.seed() ^ name.hashCode());
                List<int[]> plain = test.stream().map(e -> prompts.plainPrompt(e.input())).toList();
                List<int[]> icl =
                        test.stream().map(e -> prompts.inContextPrompt(shots, e.input())).toList();
                List<LoraModule> chosen = new ArrayList<>();
                t.bestWeights().keySet().forEach(k -> chosen.add(pool.get(k)));
                double[] w = t.bestWeights().values().stream().mapToDouble(x -> x).toArray();
                Map<Method, List<String>> expected = new LinkedHashMap<>();
                expected.put(Method.ZERO_SHOT, naive.answers(none, plain));
                expected.put(Method.ICL, naive.answers(none, icl));
                expected.put(Method.BEST_SINGLE, naive.answers(pool.get(t.bestSingle()), plain));
                expected.put(Method.UNIFORM, naive.answers(uniformMerge, plain));
                expected.put(
                        Method.LORAHUB_BEST,
                        naive.answers(
                                Composer.of(MergeStrategy.CAT).merge("best", chosen, w), plain));
                expected.put(
                        Method.LORA_FULL,
                        naive.answers(LoraModule.load(layout.ceiling(name)), plain));
                for (Map.Entry<Method, List<String>> e : expected.entrySet()) {
                    assertThat(t.predictions().get(e.getKey()))
                            .as("%s %s answers", name, e.getKey().id())
                            .containsExactlyElementsOf(e.getValue());
                    compared += e.getValue().size();
                    nonEmpty += (int) e.getValue().stream().filter(x -> !x.isEmpty()).count();
                }
                for (Method m : Method.values()) {
                    List<String> answers = t.predictions().get(m);
                    long hits = 0;
                    for (int i = 0; i < test.size(); i++) {
                        hits += answers.get(i).strip().equals(test.get(i).output()) ? 1 : 0;
                    }
                    assertThat(t.scores().get(m))
                            .as("%s %s score", name, m.id())
                            .isCloseTo(100.0 * hits / test.size(), within(1e-9));
                }
            }
        }
        // the comparison means something only if the model says something
        assertThat(compared).isEqualTo(r.tasks().size() * 6 * s.testExamples());
        assertThat(nonEmpty)
                .as("non-empty answers of %d", compared)
                .isGreaterThanOrEqualTo(minNonEmpty);
    }
}
