package dev.lorahub.djl.llama;

/**
 * How rotary position embeddings pair the dimensions of a head of size {@code D}. Both rotate a
 * pair {@code (x1, x2)} by the angle {@code pos * theta^(-2j/D)}: {@code (x1 cos - x2 sin, x1 sin +
 * x2 cos)}.
 */
public enum RopeStyle {
    /**
     * Hugging Face's {@code rotate_half}: dimension {@code j} pairs with {@code j + D/2}. Used by
     * every HF checkpoint ({@code LlamaForCausalLM}, Mistral, Qwen2).
     */
    ROTATE_HALF,
    /**
     * Adjacent pairs {@code (2j, 2j+1)}, as in llama2.c and GGUF/llama.cpp "normal" RoPE (GGUF
     * converters permute q/k of HF models so that this style is exact for them).
     */
    INTERLEAVED
}
