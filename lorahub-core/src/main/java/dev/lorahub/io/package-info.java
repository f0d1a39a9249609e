/**
 * File formats: safetensors (reader with memory mapping and 64-bit offsets, writer with the
 * reference layout), PyTorch pickles read through a restricted unpickler ({@link
 * dev.lorahub.io.PytorchReader}; both behind {@link dev.lorahub.io.TensorFile}), PEFT's {@code
 * adapter_config.json}, PEFT adapter folders, and the Hugging Face hub cache, read offline ({@link
 * dev.lorahub.io.HfCache}).
 */
@NullMarked
package dev.lorahub.io;

import org.jspecify.annotations.NullMarked;
