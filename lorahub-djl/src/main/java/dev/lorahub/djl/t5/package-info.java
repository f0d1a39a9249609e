/**
 * The T5 family (original T5 and T5 v1.1 / Flan-T5) on DJL's PyTorch engine: the configuration
 * ({@link dev.lorahub.djl.t5.T5Config}), the encoder-decoder forward pass written against a map of
 * weight NDArrays ({@link dev.lorahub.djl.t5.T5Forward}), cached generation, and {@link
 * dev.lorahub.djl.t5.T5Model}, the {@link dev.lorahub.model.BaseModel} that evaluates the LoraHub
 * objective with adapters applied in place.
 *
 * <p>Numerics follow Hugging Face transformers' {@code modeling_t5.py}: RMS layer norm without mean
 * or bias, no {@code 1/sqrt(d_kv)} in attention, relative position buckets computed by the first
 * block of each stack and reused by every block, and the lm_head rescale by {@code d_model^-0.5}
 * only when the head is tied to the shared embedding.
 */
@NullMarked
package dev.lorahub.djl.t5;

import org.jspecify.annotations.NullMarked;
