package dev.lorahub.hub;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.llama.KvCache;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.djl.train.LoraPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batched greedy decoding for the hub model with an adapter as a side branch ({@code y = x W^T + s
 * (x A^T) B^T}, so any rank works, including a CAT composition's summed rank): prompts are
 * left-padded under an attention mask with positions counted from each prompt's first real token,
 * then decoded with a KV cache until every row has produced EOS or {@code maxNewTokens} are made.
 * Each call runs in a sub-manager closed at its end.
 */
public final class Generator {
    private static final int CHUNK = 128;

    private Generator() {}

    /**
     * @param model the base model
     * @param adapter the adapter, or a module without layers for the base alone
     * @param prompts prompt ids (BOS first), unpadded
     * @param maxNewTokens the most tokens to generate per prompt
     * @return per prompt the generated ids, up to and excluding EOS
     */
    public static List<int[]> greedy(
            LlamaModel model, LoraModule adapter, List<int[]> prompts, int maxNewTokens) {
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += CHUNK) {
            List<int[]> chunk = prompts.subList(from, Math.min(prompts.size(), from + CHUNK));
            try (NDManager scope = model.manager().newSubManager()) {
                out.addAll(chunk(model, pairs(adapter, scope), chunk, maxNewTokens, scope));
            }
        }
        return out;
    }

    /**
     * @param adapter a module
     * @param manager where the factor arrays live
     * @return its layers as side-branch factors by module path
     */
    public static Map<String, LoraPair> pairs(LoraModule adapter, NDManager manager) {
        Map<String, LoraPair> pairs = new LinkedHashMap<>();
        for (LoraLayer l : adapter.layers().values()) {
            if (l.fanInFanOut()) {
                throw new IllegalArgumentException(
                        "layer '" + l.modulePath() + "' is fan_in_fan_out; llama layers are not");
            }
            NDArray a = manager.create(l.loraA(), new Shape(l.rank(), l.inFeatures()));
            NDArray b = manager.create(l.loraB(), new Shape(l.outFeatures(), l.rank()));
            pairs.put(l.modulePath(), new LoraPair(a, b, (float) l.scaling()));
        }
        return pairs;
    }

    private static List<int[]> chunk(
            LlamaModel model,
            Map<String, LoraPair> lora,
            List<int[]> prompts,
            int maxNew,
            NDManager scope) {
        int b = prompts.size();
        int len = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        long[] ids = new long[b * len];
        long[] mask = new long[b * len];
        long[] pos = new long[b * len];
        long[] nextPos = new long[b];
        for (int i = 0; i < b; i++) {
            int[] p = prompts.get(i);
            int pad = len - p.length;
            for (int j = 0; j < p.length; j++) {
                ids[i * len + pad + j] = p[j];
                mask[i * len + pad + j] = 1;
                pos[i * len + pad + j] = j;
            }
            nextPos[i] = p.length;
        }
        KvCache cache = new KvCache(model.config().numLayers());
        NDArray maskArr = scope.create(mask, new Shape(b, len));
        NDArray logits =
                model.forward(
                        scope.create(ids, new Shape(b, len)),
                        maskArr,
                        scope.create(pos, new Shape(b, len)),
                        cache,
                        lora);
        List<List<Integer>> gen = new ArrayList<>();
        boolean[] done = new boolean[b];
        for (int i = 0; i < b; i++) {
            gen.add(new ArrayList<>());
        }
        for (int step = 0; step < maxNew; step++) {
            long[] next = logits.get(new NDIndex(":, -1, :")).argMax(-1).toLongArray();
            boolean all = true;
            for (int i = 0; i < b; i++) {
                if (!done[i]) {
                    if (next[i] == CharTokenizer.EOS) {
                        done[i] = true;
                    } else {
                        gen.get(i).add((int) next[i]);
                    }
                }
                all &= done[i];
            }
            if (all || step == maxNew - 1) {
                break;
            }
            maskArr = maskArr.concat(scope.ones(new Shape(b, 1), maskArr.getDataType()), 1);
            logits =
                    model.forward(
                            scope.create(next, new Shape(b, 1)),
                            maskArr,
                            scope.create(nextPos.clone(), new Shape(b, 1)),
                            cache,
                            lora);
            for (int i = 0; i < b; i++) {
                nextPos[i]++;
            }
        }
        List<int[]> out = new ArrayList<>();
        for (List<Integer> g : gen) {
            out.add(g.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
