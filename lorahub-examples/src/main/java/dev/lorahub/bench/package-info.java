/**
 * Benchmark programs (plain {@code main} classes, not tests). Each prints its figures beside a
 * baseline measured in the same run, as a ratio, so numbers from different machines compare.
 */
@NullMarked
package dev.lorahub.bench;

import org.jspecify.annotations.NullMarked;
