/**
 * The backend contract: what an inference engine implements so that LoraHub can evaluate the
 * few-shot loss of a base model under a composed adapter. Backends register through {@code
 * META-INF/services/dev.lorahub.spi.ModelBackend}.
 */
@NullMarked
package dev.lorahub.spi;

import org.jspecify.annotations.NullMarked;
