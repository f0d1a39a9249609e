/**
 * GGUF, llama.cpp's file format: {@link dev.lorahub.io.gguf.GgufFile} reads and validates a file
 * and converts its tensors to float32 exactly as ggml does (F32, F16, BF16, Q4_0, Q4_1, Q5_0,
 * Q5_1, Q8_0, Q2_K to Q6_K); {@link dev.lorahub.io.gguf.GgufWriter} writes one byte for byte as
 * ggml's writer does; {@link dev.lorahub.io.gguf.LlamaCppNames} maps llama.cpp's tensor names and
 * q/k row order to Hugging Face's. Refusals are {@link dev.lorahub.io.AdapterFormatException}s
 * naming the file.
 */
@NullMarked
package dev.lorahub.io.gguf;

import org.jspecify.annotations.NullMarked;
