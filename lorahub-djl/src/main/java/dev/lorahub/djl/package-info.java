/**
 * The DJL backend (PyTorch engine, CPU, offline): {@link dev.lorahub.djl.DjlBackend} loads base
 * models and registers through {@code META-INF/services/dev.lorahub.spi.ModelBackend}. Model
 * families live in sub-packages ({@code llama}, {@code t5}); shared machinery that is not part of
 * the public API lives in {@code internal}.
 */
@NullMarked
package dev.lorahub.djl;

import org.jspecify.annotations.NullMarked;
