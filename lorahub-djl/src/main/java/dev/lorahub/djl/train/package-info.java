/**
 * Training with DJL autograd: {@link dev.lorahub.djl.train.LoraTrainer} (a LoRA module on (input,
 * output) examples, base frozen, PEFT initialisation) and {@link dev.lorahub.djl.train.Pretrainer}
 * (every base parameter, for the embedded hub's base model), both over a {@link
 * dev.lorahub.djl.train.TrainableModel}'s differentiable forward, with a manual Adam on NDArrays.
 */
@NullMarked
package dev.lorahub.djl.train;

import org.jspecify.annotations.NullMarked;
