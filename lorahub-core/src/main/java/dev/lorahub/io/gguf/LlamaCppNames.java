package dev.lorahub.io.gguf;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp's names for LLaMA-family weights and the row order of its q/k projections.
 *
 * <p>Names: {@code model.embed_tokens} = {@code token_embd}, {@code model.layers.N.input_layernorm}
 * = {@code blk.N.attn_norm}, {@code self_attn.q/k/v/o_proj} = {@code attn_q/k/v/output}, {@code
 * post_attention_layernorm} = {@code ffn_norm}, {@code mlp.gate/up/down_proj} = {@code
 * ffn_gate/up/down}, {@code model.norm} = {@code output_norm}, {@code lm_head} = {@code output}
 * (module paths here, without {@code .weight}).
 *
 * <p>Row order: llama.cpp's converter ({@code LlamaModel.permute} in {@code convert_hf_to_gguf.py})
 * reorders the rows of {@code q_proj} and {@code k_proj} within each head of size {@code D} so that
 * llama.cpp's adjacent-pair RoPE equals Hugging Face's rotate-half RoPE: GGUF row {@code h*D + 2j +
 * i} is Hugging Face row {@code h*D + i*D/2 + j} ({@code i} in {0, 1}, {@code j < D/2}). The same
 * permutation applies to the {@code lora_b} of a LoRA adapter on q or k. Files exported from
 * llama2.c/Meta checkpoints are natively in the GGUF order.
 */
public final class LlamaCppNames {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final Map<String, String> IN_LAYER =
            Map.of(
                    "input_layernorm", "attn_norm",
                    "self_attn.q_proj", "attn_q",
                    "self_attn.k_proj", "attn_k",
                    "self_attn.v_proj", "attn_v",
                    "self_attn.o_proj", "attn_output",
                    "post_attention_layernorm", "ffn_norm",
                    "mlp.gate_proj", "ffn_gate",
                    "mlp.up_proj", "ffn_up",
                    "mlp.down_proj", "ffn_down");
    private static final Map<String, String> TOP =
            Map.of(
                    "model.embed_tokens", "token_embd",
                    "model.norm", "output_norm",
                    "lm_head", "output");

    private LlamaCppNames() {}

    /**
     * @param hfModule a Hugging Face module path, e.g. {@code model.layers.0.self_attn.q_proj}
     * @return llama.cpp's name for it, e.g. {@code blk.0.attn_q}; empty if it has none
     */
    public static Optional<String> toGguf(String hfModule) {
        if (TOP.containsKey(hfModule)) {
            return Optional.of(TOP.get(hfModule));
        }
        Matcher m = LAYER.matcher(hfModule);
        if (m.matches() && IN_LAYER.containsKey(m.group(2))) {
            return Optional.of("blk." + m.group(1) + "." + IN_LAYER.get(m.group(2)));
        }
        return Optional.empty();
    }

    /**
     * @param ggufModule a llama.cpp tensor name without {@code .weight}, e.g. {@code blk.0.attn_q}
     * @return the Hugging Face module path, e.g. {@code model.layers.0.self_attn.q_proj}; empty if
     *     it has none
     */
    public static Optional<String> toHf(String ggufModule) {
        for (Map.Entry<String, String> e : TOP.entrySet()) {
            if (e.getValue().equals(ggufModule)) {
                return Optional.of(e.getKey());
            }
        }
        Matcher m = BLOCK.matcher(ggufModule);
        if (m.matches()) {
            for (Map.Entry<String, String> e : IN_LAYER.entrySet()) {
                if (e.getValue().equals(m.group(2))) {
                    return Optional.of("model.layers." + m.group(1) + "." + e.getKey());
                }
            }
        }
        return Optional.empty();
    }

    /**
     * @param hfModule a Hugging Face module path
     * @return true for {@code q_proj} and {@code k_proj}, whose rows llama.cpp's LLaMA converter
     *     permutes
     */
    public static boolean isRopePermuted(String hfModule) {
        return hfModule.endsWith(".self_attn.q_proj") || hfModule.endsWith(".self_attn.k_proj");
    }

    /**
     * Hugging Face row order to llama.cpp's (see the class doc).
     *
     * @param m a row-major matrix of {@code rows x cols}
     * @param rows a multiple of {@code headDim}
     * @param cols the row length
     * @param headDim the head size D, even
     * @return the permuted copy
     */
    public static float[] toGgufRows(float[] m, int rows, int cols, int headDim) {
        return permute(m, rows, cols, headDim, true);
    }

    /**
     * llama.cpp's row order to Hugging Face's: the inverse of {@link #toGgufRows}.
     *
     * @param m a row-major matrix of {@code rows x cols}
     * @param rows a multiple of {@code headDim}
     * @param cols the row length
     * @param headDim the head size D, even
     * @return the permuted copy
     */
    public static float[] toHfRows(float[] m, int rows, int cols, int headDim) {
        return permute(m, rows, cols, headDim, false);
    }

    private static float[] permute(float[] m, int rows, int cols, int headDim, boolean toGguf) {
        if (headDim <= 0 || headDim % 2 != 0 || rows % headDim != 0) {
            throw new IllegalArgumentException(
                    rows + " rows do not split into heads of an even size " + headDim);
        }
        if ((long) rows * cols != m.length) {
            throw new IllegalArgumentException(
                    m.length + " values are not " + rows + " x " + cols);
        }
        float[] out = new float[m.length];
        int half = headDim / 2;
        for (int h = 0; h < rows / headDim; h++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < half; j++) {
                    int gguf = h * headDim + 2 * j + i;
                    int hf = h * headDim + i * half + j;
                    int from = toGguf ? hf : gguf;
                    int to = toGguf ? gguf : hf;
                    System.arraycopy(m, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }
}
