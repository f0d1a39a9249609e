package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.spi.LinearShape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A two-linear toy LM for trainer tests: {@code h = emb[ids]; h2 = h + h Wq^T (+ LoRA); logits = h2
 * Wout^T}. No attention: each position predicts from its own token only.
 */
final class TinyLm implements TrainableModel, AutoCloseable {
    static final String Q = "model.layers.0.self_attn.q_proj";
    static final String V = "model.layers.0.self_attn.v_proj";
    final int vocab;
    final NDManager manager;
    final Map<String, NDArray> params = new LinkedHashMap<>();

    TinyLm(NDManager parent, int vocab, int dim, long seed) {
        this.vocab = vocab;
        this.manager = parent.newSubManager();
        Random r = new Random(seed);
        params.put("model.embed_tokens.weight", randn(r, vocab, dim, 1.0f));
        params.put(Q + ".weight", randn(r, dim, dim, (float) (1 / Math.sqrt(dim))));
        params.put(V + ".weight", randn(r, dim, dim, (float) (1 / Math.sqrt(dim))));
        params.put("lm_head.weight", randn(r, vocab, dim, (float) (1 / Math.sqrt(dim))));
    }

    private NDArray randn(Random r, int rows, int cols, float std) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian() * std;
        }
        return manager.create(v, new Shape(rows, cols));
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Map<String, LinearShape> linearModules() {
        int d = (int) params.get(Q + ".weight").getShape().get(0);
        Map<String, LinearShape> m = new LinkedHashMap<>();
        m.put(Q, new LinearShape(d, d));
        m.put(V, new LinearShape(d, d));
        return m;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return params;
    }

    @Override
    public NDArray logits(NDArray inputIds, Map<String, LoraPair> lora) {
        NDArray h = inputIds.oneHot(vocab).matMul(params.get("model.embed_tokens.weight"));
        NDArray h2 = h.add(linear(h, Q, lora)).add(linear(h, V, lora));
        return h2.matMul(params.get("lm_head.weight").transpose());
    }

    private NDArray linear(NDArray x, String path, Map<String, LoraPair> lora) {
        NDArray y = x.matMul(params.get(path + ".weight").transpose());
        LoraPair p = lora.get(path);
        return p == null ? y : y.add(p.branch(x));
    }

    @Override
    public void close() {
        manager.close();
    }
}
