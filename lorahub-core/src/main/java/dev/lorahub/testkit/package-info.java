/**
 * A pure-Java backend for tests, published with the library so that downstream projects can
 * unit-test their LoraHub code without DJL or model files.
 *
 * <p>{@link dev.lorahub.testkit.ToyModel} is a tiny token-level language model (embedding, residual
 * tanh layers, output head) whose target matrices carry LoRA updates, so the few-shot loss is a
 * real teacher-forced cross-entropy. {@link dev.lorahub.testkit.ToyTasks} generates LoRA modules
 * for it and tasks whose true update is a known combination of the modules' updates. {@link
 * dev.lorahub.testkit.ToyBackend} loads a toy model from a folder it wrote; it is not registered as
 * a {@link dev.lorahub.spi.ModelBackend} service in this jar (a test registers it in its own test
 * resources, or passes the model with {@code .on(model)}).
 */
@NullMarked
package dev.lorahub.testkit;

import org.jspecify.annotations.NullMarked;
