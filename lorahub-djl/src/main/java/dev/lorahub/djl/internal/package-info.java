/**
 * Machinery shared by the DJL model families, not part of the public API: reading Hugging Face
 * checkpoints ({@link dev.lorahub.djl.internal.Checkpoint}), the Hugging Face cross-entropy
 * ({@link dev.lorahub.djl.internal.CrossEntropy}), one decoding loop, one RMSNorm. The in-place
 * LoRA mechanism they all use is public: {@link dev.lorahub.djl.InPlaceLora}.
 */
@NullMarked
package dev.lorahub.djl.internal;

import org.jspecify.annotations.NullMarked;
