/**
 * Machinery shared by the DJL model families, not part of the public API: reading Hugging Face
 * checkpoints ({@link dev.lorahub.djl.internal.Checkpoint}), applying LoRA deltas in place with a
 * bit-exact restore ({@link dev.lorahub.djl.internal.InPlaceLora}), and the Hugging Face
 * cross-entropy ({@link dev.lorahub.djl.internal.CrossEntropy}).
 */
@NullMarked
package dev.lorahub.djl.internal;

import org.jspecify.annotations.NullMarked;
