/**
 * LLaMA-architecture causal LMs (model_type {@code llama}, {@code mistral}, {@code qwen2}, and GGUF
 * files) on DJL's PyTorch engine: {@link dev.lorahub.djl.llama.LlamaConfig}, the differentiable
 * forward over a weights map in {@link dev.lorahub.djl.llama.LlamaModel}, generation with a KV
 * cache in {@link dev.lorahub.djl.llama.LlamaGenerator}, and the LoraHub-facing {@link
 * dev.lorahub.djl.llama.LlamaBaseModel}.
 */
@NullMarked
package dev.lorahub.djl.llama;

import org.jspecify.annotations.NullMarked;
