package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.io.AdapterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratorTest {
    /** Independent truth: one prompt at a time, no padding, no cache, full forward per token. */
    private static int[] naive(LlamaModel m, LoraModule adapter, int[] prompt, int maxNew) {
        List<Integer> seq = new ArrayList<>();
        for (int id : prompt) {
            seq.add(id);
        }
        List<Integer> out = new ArrayList<>();
        for (int s = 0; s < maxNew; s++) {
            try (NDManager scope = m.manager().newSubManager()) {
                long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
                NDArray logits =
                        m.logits(
                                scope.create(ids, new Shape(1, ids.length)),
                                Generator.pairs(adapter, scope));
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

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void batched_cached_left_padded_greedy_equals_one_by_one_full_recompute(long seed) {
        Random r = new Random(seed);
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel m = LlamaModel.create(LlamaConfig.of(64, 32, 64, 2, 2, 2), seed, root)) {
            // a random rank-2 adapter on q_proj of layer 0, so the side branch is exercised
            float[] a = new float[2 * 32];
            float[] b = new float[32 * 2];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
                b[i] = (float) r.nextGaussian();
            }
            LoraModule adapter =
                    new LoraModule(
                            "x",
                            new AdapterConfig("b", 2, 4, List.of("q_proj")),
                            List.of(
                                    new LoraLayer(
                                            "model.layers.0.self_attn.q_proj",
                                            2,
                                            32,
                                            32,
                                            a,
                                            b,
                                            2.0,
                                            false)));
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                int[] p = new int[2 + r.nextInt(9)];
                p[0] = CharTokenizer.BOS;
                for (int j = 1; j < p.length; j++) {
                    p[j] = 5 + r.nextInt(40);
                }
                prompts.add(p);
            }
            List<int[]> batched = Generator.greedy(m, adapter, prompts, 6);
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(batched.get(i))
                        .as("seed %d prompt %d", seed, i)
                        .containsExactly(naive(m, adapter, prompts.get(i), 6));
            }
        }
    }
}
