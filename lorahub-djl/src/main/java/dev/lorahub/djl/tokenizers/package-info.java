/**
 * Tokenizers behind {@link dev.lorahub.spi.TextTokenizer}: Hugging Face {@code tokenizer.json}
 * through DJL's native tokenizers (offline), and the SentencePiece-style BPE with scores and byte
 * fallback that GGUF files embed.
 */
@NullMarked
package dev.lorahub.djl.tokenizers;

import org.jspecify.annotations.NullMarked;
