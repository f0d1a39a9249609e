/**
 * Base models as users hold them: {@link dev.lorahub.model.BaseModel} (encode examples, score and
 * generate with or without an adapter; {@code AutoCloseable}), {@link
 * dev.lorahub.model.ModelBackends} (load a model folder or file through whichever backend is on
 * the class path) and {@link dev.lorahub.model.GenerationConfig}. What a backend implements and
 * registers lives in {@link dev.lorahub.spi}.
 */
@NullMarked
package dev.lorahub.model;

import org.jspecify.annotations.NullMarked;
