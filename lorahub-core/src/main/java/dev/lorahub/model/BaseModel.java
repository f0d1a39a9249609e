package dev.lorahub.model;

import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.ModelClosedException;
import dev.lorahub.spi.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded base model that evaluates the LoraHub objective under a composed adapter.
 *
 * <p>Contract for implementations: {@link #loss(LoraModule, EncodedBatch)} adds each layer's {@code
 * deltaW = scaling * B @ A} to the targeted base weight in place, runs the forward pass without
 * gradients and with dropout off, and restores the base weights bit-exactly from a kept copy of
 * only the targeted matrices. No full-model copy per evaluation, no re-reading of files.
 *
 * <p>Threads: implementations say in their Javadoc whether one instance may be shared. This
 * library's are: the LLaMA and T5 models of {@code lorahub-djl} serialise calls per model (one
 * patched forward at a time, each with the same result as alone), and the toy model never patches.
 * Every call after {@link #close()} throws {@link ModelClosedException}; {@code close()} waits for
 * a call in progress rather than freeing memory under it.
 */
public interface BaseModel extends AutoCloseable {
    /**
     * @return the architecture, e.g. {@code llama}, {@code t5}
     */
    String modelType();

    /**
     * @return every linear layer an adapter may target, by module path in PEFT's naming without the
     *     {@code base_model.model.} prefix (e.g. {@code model.layers.0.self_attn.q_proj}), in model
     *     order
     */
    Map<String, LinearShape> linearModules();

    /**
     * @return the tokenizer, when the model has one
     */
    Optional<TextTokenizer> tokenizer();

    /**
     * The layout this model's text examples take unless the caller says otherwise: what the model
     * folder declares (lorahub-djl: {@code lorahub.json}, else the tokenizer's {@code
     * chat_template}). {@link #encode(List)} does not apply it: callers render examples through it
     * first ({@link ExampleTemplate#apply(List)}), as {@code LoraHub}'s run, the CLI and the demo
     * do.
     *
     * @return the declared layout; {@link ExampleTemplate#PLAIN} by default
     */
    default ExampleTemplate template() {
        return ExampleTemplate.PLAIN;
    }

    /**
     * Tokenizes and lays out examples once. Text examples are encoded as given (the prompt with the
     * model's special tokens, the answer followed by EOS): render them through a template first.
     *
     * @param examples text or pre-tokenized examples
     * @return a batch for {@link #loss(LoraModule, EncodedBatch)}; the caller closes it
     * @throws IllegalArgumentException if text examples are given and there is no tokenizer
     */
    EncodedBatch encode(List<FewShotExample> examples);

    /**
     * The teacher-forced cross-entropy of the batch's labelled tokens, token-mean over the batch
     * (Hugging Face's {@code model(input_ids, attention_mask, labels).loss}), with the adapter
     * applied in place and the base weights restored afterwards.
     *
     * @param adapter the composed adapter; a module without layers means the plain base model
     * @param batch a batch from {@link #encode(List)}
     * @return the mean natural-log cross-entropy
     * @throws IllegalArgumentException if the adapter targets a module the model lacks, or shapes
     *     differ
     */
    double loss(LoraModule adapter, EncodedBatch batch);

    /**
     * The base model's own loss, with no adapter: {@code loss(LoraModule.none(), batch)}.
     *
     * @param batch a batch from {@link #encode(List)}
     * @return the mean natural-log cross-entropy of the base model
     */
    default double loss(EncodedBatch batch) {
        return loss(LoraModule.none(), batch);
    }

    /**
     * Evaluates several candidate adapters; backends may batch them in one forward pass.
     *
     * @param adapters candidates
     * @param batch a batch from {@link #encode(List)}
     * @return one loss per candidate, in order
     */
    default double[] losses(List<LoraModule> adapters, EncodedBatch batch) {
        double[] out = new double[adapters.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = loss(adapters.get(i), batch);
        }
        return out;
    }

    /**
     * Generates continuations of prompts with the adapter applied (base restored afterwards).
     *
     * @param adapter the adapter; a module without layers means the plain base model
     * @param promptIds one prompt per row (unpadded; the backend pads)
     * @param config greedy or sampling, max new tokens
     * @return for each prompt only the new token ids, stopping after EOS
     */
    List<int[]> generate(LoraModule adapter, List<int[]> promptIds, GenerationConfig config);

    /**
     * Generates with the base model alone: {@code generate(LoraModule.none(), promptIds, config)}.
     *
     * @param promptIds one prompt per row (unpadded; the backend pads)
     * @param config greedy or sampling, max new tokens
     * @return for each prompt only the new token ids, stopping after EOS
     */
    default List<int[]> generate(List<int[]> promptIds, GenerationConfig config) {
        return generate(LoraModule.none(), promptIds, config);
    }

    /**
     * Generates from text prompts with the base model alone: {@code
     * generateText(LoraModule.none(), prompts, config)}.
     *
     * @param prompts text prompts
     * @param config greedy or sampling, max new tokens
     * @return the decoded new text per prompt
     * @throws IllegalStateException if the model has no tokenizer
     */
    default List<String> generateText(List<String> prompts, GenerationConfig config) {
        return generateText(LoraModule.none(), prompts, config);
    }

    /**
     * Generates from text prompts through the tokenizer. The prompts are encoded as given (with the
     * tokenizer's special tokens): lay an input out first with {@code template().prompt(input)} to
     * continue it as the model was trained.
     *
     * @param adapter the adapter; a module without layers means the plain base model
     * @param prompts text prompts
     * @param config greedy or sampling, max new tokens
     * @return the decoded new text per prompt
     */
    default List<String> generateText(
            LoraModule adapter, List<String> prompts, GenerationConfig config) {
        TextTokenizer tok =
                tokenizer()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                modelType() + " model has no tokenizer"));
        List<int[]> ids = new ArrayList<>();
        for (String p : prompts) {
            ids.add(tok.encode(p, true));
        }
        List<String> out = new ArrayList<>();
        for (int[] gen : generate(adapter, ids, config)) {
            out.add(tok.decode(gen));
        }
        return out;
    }

    /** Frees native memory; later calls throw {@link ModelClosedException}. Idempotent. */
    @Override
    void close();
}
