package dev.lorahub.djl.llama;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Hugging Face tensor names and shapes of a LLaMA-family model, in model order.
 *
 * <p>Per layer {@code i}: {@code model.layers.i.input_layernorm.weight [d]}, {@code
 * self_attn.q_proj.weight [H*D, d]}, {@code k_proj}/{@code v_proj [KV*D, d]}, {@code o_proj [d,
 * H*D]}, {@code post_attention_layernorm.weight [d]}, {@code mlp.gate_proj}/{@code up_proj [I, d]},
 * {@code mlp.down_proj [d, I]}; plus {@code model.embed_tokens.weight [V, d]}, {@code
 * model.norm.weight [d]} and, when untied, {@code lm_head.weight [V, d]}. Biases {@code .bias}
 * follow {@link LlamaConfig#attentionBias()} and {@link LlamaConfig#mlpBias()}.
 */
public final class LlamaLayout {
    private LlamaLayout() {}

    /** The linear projections of one decoder layer, by PEFT name suffix. */
    static final String[] PROJECTIONS = {
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "self_attn.o_proj",
        "mlp.gate_proj",
        "mlp.up_proj",
        "mlp.down_proj"
    };

    /**
     * @param c the config
     * @return every tensor name with its row-major shape, in model order
     */
    public static Map<String, long[]> shapes(LlamaConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long d = c.hiddenSize();
        long qOut = (long) c.numHeads() * c.headDim();
        long kvOut = (long) c.numKvHeads() * c.headDim();
        s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {d});
            s.put(p + "self_attn.q_proj.weight", new long[] {qOut, d});
            s.put(p + "self_attn.k_proj.weight", new long[] {kvOut, d});
            s.put(p + "self_attn.v_proj.weight", new long[] {kvOut, d});
            s.put(p + "self_attn.o_proj.weight", new long[] {d, qOut});
            if (c.attentionBias()) {
                s.put(p + "self_attn.q_proj.bias", new long[] {qOut});
                s.put(p + "self_attn.k_proj.bias", new long[] {kvOut});
                s.put(p + "self_attn.v_proj.bias", new long[] {kvOut});
                if (hasOutputBias(c)) {
                    s.put(p + "self_attn.o_proj.bias", new long[] {d});
                }
            }
            s.put(p + "post_attention_layernorm.weight", new long[] {d});
            s.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), d});
            s.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), d});
            s.put(p + "mlp.down_proj.weight", new long[] {d, c.intermediateSize()});
            if (c.mlpBias()) {
                s.put(p + "mlp.gate_proj.bias", new long[] {c.intermediateSize()});
                s.put(p + "mlp.up_proj.bias", new long[] {c.intermediateSize()});
                s.put(p + "mlp.down_proj.bias", new long[] {d});
            }
        }
        s.put("model.norm.weight", new long[] {d});
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new long[] {c.vocabSize(), d});
        }
        return s;
    }

    /**
     * @param c the config
     * @return the module paths an adapter may target, in model order: every projection of every
     *     layer, then {@code lm_head} when untied
     */
    public static java.util.List<String> linearModules(LlamaConfig c) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            for (String p : PROJECTIONS) {
                out.add("model.layers." + i + "." + p);
            }
        }
        if (!c.tieWordEmbeddings()) {
            out.add("lm_head");
        }
        return out;
    }

    /**
     * @param c the config
     * @return true when {@code o_proj} has a bias (llama with attention_bias; never qwen2)
     */
    static boolean hasOutputBias(LlamaConfig c) {
        return c.attentionBias() && !c.modelType().equals("qwen2");
    }
}
