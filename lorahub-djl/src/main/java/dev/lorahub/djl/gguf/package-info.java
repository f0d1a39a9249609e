/**
 * GGUF models: {@link dev.lorahub.djl.gguf.GgufLlama} turns a LLaMA-architecture GGUF file (read by
 * {@link dev.lorahub.io.gguf.GgufFile}: F32, F16, BF16 and the Q4_0 to Q6_K quantizations) into a
 * {@link dev.lorahub.djl.llama.LlamaBaseModel} with its embedded tokenizer.
 */
@NullMarked
package dev.lorahub.djl.gguf;

import org.jspecify.annotations.NullMarked;
