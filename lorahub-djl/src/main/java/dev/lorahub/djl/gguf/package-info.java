/**
 * GGUF files (llama.cpp's format): {@link dev.lorahub.djl.gguf.GgufFile} reads metadata and F32 /
 * F16 / BF16 / Q4_0 / Q4_1 / Q8_0 tensors; {@link dev.lorahub.djl.gguf.GgufLlama} turns a
 * LLaMA-architecture GGUF into a {@link dev.lorahub.djl.llama.LlamaBaseModel} with its embedded
 * tokenizer.
 */
@NullMarked
package dev.lorahub.djl.gguf;

import org.jspecify.annotations.NullMarked;
