package dev.lorahub.spi;

/** A model's tokenizer, as far as LoraHub needs it. */
public interface TextTokenizer {
    /**
     * @param text text to encode
     * @param addSpecialTokens whether to add the model's special tokens (BOS for LLaMA, EOS for T5)
     * @return token ids
     */
    int[] encode(String text, boolean addSpecialTokens);

    /**
     * @param ids token ids
     * @return the text, special tokens skipped
     */
    String decode(int[] ids);
}
