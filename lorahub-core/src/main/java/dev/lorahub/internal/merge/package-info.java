/**
 * Numeric kernels of {@link dev.lorahub.Composer}: weighted sums and concatenations of LoRA
 * factors, TIES/DARE pruning and sign election, and the truncated SVD of a weighted sum of low-rank
 * products. Internal: not part of the API, may change without notice.
 */
@NullMarked
package dev.lorahub.internal.merge;

import org.jspecify.annotations.NullMarked;
