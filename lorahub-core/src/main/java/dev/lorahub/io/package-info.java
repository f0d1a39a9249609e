/**
 * File formats: safetensors (reader with memory mapping and 64-bit offsets, writer with the
 * reference layout), PEFT's {@code adapter_config.json}, and PEFT adapter folders.
 */
@NullMarked
package dev.lorahub.io;

import org.jspecify.annotations.NullMarked;
