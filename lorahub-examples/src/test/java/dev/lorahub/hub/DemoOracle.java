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
            return answers(factorsOf(adapter), prompts);
        }

        List<String> answers(Map<String, Factors> adapter, List<int[]> prompts) {
            List<String> out = new ArrayList<>();
            for (int[] prompt : prompts) {
                out.add(tokenizer.decode(greedy(adapter, prompt)));
            }
            return out;
        }

        private int[] greedy(Map<String, Factors> adapter, int[] prompt) {
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

        private static Map<String, LoraPair> pairs(Map<String, Factors> adapter, NDManager scope) {
            Map<String, LoraPair> pairs = new LinkedHashMap<>();
            adapter.forEach(
                    (path, f) ->
                            pairs.put(
                                    path,
                                    new LoraPair(
                                            scope.create(f.a(), new Shape(f.rank(), f.in())),
                                            scope.create(f.b(), new Shape(f.out(), f.rank())),
                                            f.scaling())));
            return pairs;
        }

        @Override
        public void close() {
            model.close();
            root.close();
        }
    }

    /** One layer's side branch {@code scaling * (x A^T) B^T}: A is rank x in, B out x rank. */
    record Factors(float[] a, float[] b, int rank, int in, int out, float scaling) {}

    private static Map<String, Factors> factorsOf(LoraModule adapter) {
        Map<String, Factors> out = new LinkedHashMap<>();
        for (LoraLayer l : adapter.layers().values()) {
            out.put(
                    l.modulePath(),
                    new Factors(
                            l.loraA(),
                            l.loraB(),
                            l.rank(),
                            l.inFeatures(),
                            l.outFeatures(),
                            (float) l.scaling()));
        }
        return out;
    }

    /**
     * Exact (CAT) composition written out by hand, not by the library's composer: per layer, A is
     * the modules' A stacked by rows, B their {@code w_i s_i B_i} side by side, scaling 1; so
     * {@code (x A^T) B^T = sum_i w_i s_i (x A_i^T) B_i^T}.
     */
    static Map<String, Factors> catByHand(List<LoraModule> modules, double[] w) {
        assertThat(w).hasSameSizeAs(modules);
        Map<String, List<Integer>> users = new LinkedHashMap<>();
        for (int i = 0; i < modules.size(); i++) {
            for (String path : modules.get(i).layers().keySet()) {
                users.computeIfAbsent(path, k -> new ArrayList<>()).add(i);
            }
        }
        Map<String, Factors> out = new LinkedHashMap<>();
        users.forEach(
                (path, idx) -> {
                    LoraLayer first = modules.get(idx.get(0)).layers().get(path);
                    int in = first.inFeatures();
                    int o = first.outFeatures();
                    int rank =
                            idx.stream()
                                    .mapToInt(i -> modules.get(i).layers().get(path).rank())
                                    .sum();
                    float[] a = new float[rank * in];
                    float[] b = new float[o * rank];
                    int k0 = 0;
                    for (int i : idx) {
                        LoraLayer l = modules.get(i).layers().get(path);
                        float[] ai = l.loraA();
                        float[] bi = l.loraB();
                        System.arraycopy(ai, 0, a, k0 * in, l.rank() * in);
                        for (int row = 0; row < o; row++) {
                            for (int k = 0; k < l.rank(); k++) {
                                b[row * rank + k0 + k] =
                                        (float) (w[i] * l.scaling() * bi[row * l.rank() + k]);
                            }
                        }
                        k0 += l.rank();
                    }
                    out.put(path, new Factors(a, b, rank, in, o, 1f));
                });
        return out;
    }

    /**
     * Every row whose adapter the report pins down (zero-shot, in-context, best single, uniform,
     * cobyla_40, lorahub_best, recipe_short, recipe_best and oracle_search from their reported
     * weights, oracle_exact, the ceiling) must give, answer for answer, what the naive decoder
     * gives; and each score is the share of answers equal to the test outputs. cobyla_40 must
     * compose lorahub_best's modules (same selection, another search).
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
                // the oracles: the task's own single-skill modules, named here from the task's
                // pipeline (rev, atb for rev_atb), not taken from the demo
                List<String> ownNames = Task.parse(name).ops().stream().map(Op::code).toList();
                List<LoraModule> own = ownNames.stream().map(pool::get).toList();
                double[] ones = new double[own.size()];
                Arrays.fill(ones, 1.0);
                expected.put(Method.ORACLE_EXACT, naive.answers(catByHand(own, ones), plain));
                assertThat(t.weights().get(Method.ORACLE_SEARCH).keySet())
                        .as("%s oracle_search modules", name)
                        .containsExactlyElementsOf(ownNames);
                for (Method m :
                        List.of(
                                Method.COBYLA_40,
                                Method.RECIPE_SHORT,
                                Method.RECIPE_BEST,
                                Method.ORACLE_SEARCH)) {
                    Map<String, Double> found = t.weights().get(m);
                    expected.put(
                            m,
                            naive.answers(
                                    catByHand(
                                            found.keySet().stream().map(pool::get).toList(),
                                            found.values().stream().mapToDouble(x -> x).toArray()),
                                    plain));
                }
                for (Method m : List.of(Method.RECIPE_SHORT, Method.RECIPE_BEST)) {
                    assertThat(t.weights().get(m).keySet())
                            .as("%s %s composes the whole pool", name, m.id())
                            .containsExactlyElementsOf(pool.keySet());
                }
                // the same selection (lowest single loss) and merge, only the search differs
                assertThat(t.weights().get(Method.COBYLA_40).keySet())
                        .as("%s cobyla_40 selects lorahub_best's modules", name)
                        .hasSize(Math.min(s.bestCandidates(), pool.size()))
                        .containsExactlyElementsOf(t.bestWeights().keySet());
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
        assertThat(compared).isEqualTo(r.tasks().size() * 11 * s.testExamples());
        assertThat(nonEmpty)
                .as("non-empty answers of %d", compared)
                .isGreaterThanOrEqualTo(minNonEmpty);
    }
}
