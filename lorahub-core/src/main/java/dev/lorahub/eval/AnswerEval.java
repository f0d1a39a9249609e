package dev.lorahub.eval;

import dev.lorahub.ExampleTemplate;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Exact match of generated answers on a test set: each example's input is laid out as a prompt
 * ({@link ExampleTemplate#prompt}, the model's declared template unless one is given), the model
 * generates greedily with the adapter applied, {@code batchSize} prompts per call of {@link
 * BaseModel#generateText(LoraModule, List, GenerationConfig)}, and each answer is compared with the
 * example's output by {@link ExactMatch}.
 *
 * <pre>{@code
 * EvalReport r = AnswerEval.on(model)
 *         .adapter(result.merged())                 // default: the base model alone
 *         .listener((done, total, correct) -> ...)  // progress after each batch
 *         .run(ExamplesFile.readText(Path.of("test.jsonl")));
 * r.exactMatch(); r.writeJson(Path.of("eval.json")); r.writeCsv(Path.of("eval.csv"));
 * }</pre>
 *
 * <p>Immutable: every setting returns a new object. A run uses the model as any other call does
 * (see {@link BaseModel} for sharing a model between threads).
 */
public final class AnswerEval {
    /** Default longest answer, in tokens. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 32;

    /** Default number of prompts generated together. */
    public static final int DEFAULT_BATCH_SIZE = 64;

    private final BaseModel model;
    private final LoraModule adapter;
    private final @Nullable ExampleTemplate template;
    private final int maxNewTokens;
    private final int batchSize;
    private final EvalListener listener;

    private AnswerEval(
            BaseModel model,
            LoraModule adapter,
            @Nullable ExampleTemplate template,
            int maxNewTokens,
            int batchSize,
            EvalListener listener) {
        this.model = model;
        this.adapter = adapter;
        this.template = template;
        this.maxNewTokens = maxNewTokens;
        this.batchSize = batchSize;
        this.listener = listener;
    }

    /**
     * @param model the base model; the caller keeps ownership and closes it
     * @return an evaluation of the base model alone with the default settings
     */
    public static AnswerEval on(BaseModel model) {
        return new AnswerEval(
                Objects.requireNonNull(model, "model"),
                LoraModule.none(),
                null,
                DEFAULT_MAX_NEW_TOKENS,
                DEFAULT_BATCH_SIZE,
                EvalListener.NONE);
    }

    /**
     * @param module the adapter to apply while generating
     * @return a copy with that adapter
     */
    public AnswerEval adapter(LoraModule module) {
        return new AnswerEval(
                model,
                Objects.requireNonNull(module, "module"),
                template,
                maxNewTokens,
                batchSize,
                listener);
    }

    /**
     * @param layout how an input becomes a prompt (default: {@link BaseModel#template()})
     * @return a copy with that layout
     */
    public AnswerEval template(ExampleTemplate layout) {
        return new AnswerEval(
                model,
                adapter,
                Objects.requireNonNull(layout, "layout"),
                maxNewTokens,
                batchSize,
                listener);
    }

    /**
     * @param tokens the longest answer, at least 1 (default {@value #DEFAULT_MAX_NEW_TOKENS})
     * @return a copy with that limit
     */
    public AnswerEval maxNewTokens(int tokens) {
        if (tokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + tokens);
        }
        return new AnswerEval(model, adapter, template, tokens, batchSize, listener);
    }

    /**
     * @param prompts prompts generated together, at least 1 (default {@value #DEFAULT_BATCH_SIZE});
     *     more is faster and takes more memory
     * @return a copy with that batch size
     */
    public AnswerEval batchSize(int prompts) {
        if (prompts < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + prompts);
        }
        return new AnswerEval(model, adapter, template, maxNewTokens, prompts, listener);
    }

    /**
     * @param progress called after each batch
     * @return a copy that reports to it
     */
    public AnswerEval listener(EvalListener progress) {
        return new AnswerEval(
                model,
                adapter,
                template,
                maxNewTokens,
                batchSize,
                Objects.requireNonNull(progress, "progress"));
    }

    /**
     * @param examples text examples (input, expected output), e.g. from {@code
     *     dev.lorahub.io.ExamplesFile.readText}
     * @return the answers and their exact match
     * @throws IllegalArgumentException if there is no example or one is pre-tokenized
     * @throws IllegalStateException if the model has no tokenizer
     */
    public EvalReport run(List<FewShotExample> examples) {
        ExampleTemplate layout = template != null ? template : model.template();
        List<String> prompts = new ArrayList<>();
        List<String> references = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            FewShotExample e = examples.get(i);
            if (e.isTokenized()) {
                throw new IllegalArgumentException(
                        "example " + (i + 1) + " is token ids; evaluation needs text examples");
            }
            prompts.add(layout.prompt(e.input().orElseThrow()));
            references.add(e.output().orElseThrow());
        }
        return runPrompts(prompts, references);
    }

    /**
     * Evaluates prompts already laid out (e.g. in-context prompts that carry demonstrations); the
     * template is not applied.
     *
     * @param prompts the prompts, as the model is to continue them
     * @param references the expected answers, one per prompt
     * @return the answers and their exact match
     * @throws IllegalArgumentException if the lists are empty or differ in size
     */
    public EvalReport runPrompts(List<String> prompts, List<String> references) {
        if (prompts.isEmpty() || prompts.size() != references.size()) {
            throw new IllegalArgumentException(
                    "need as many references as prompts (> 0), got "
                            + prompts.size()
                            + " prompts and "
                            + references.size()
                            + " references");
        }
        long start = System.nanoTime();
        GenerationConfig config = GenerationConfig.greedy(maxNewTokens);
        List<EvalReport.Row> rows = new ArrayList<>();
        int correct = 0;
        for (int from = 0; from < prompts.size(); from += batchSize) {
            List<String> batch = prompts.subList(from, Math.min(prompts.size(), from + batchSize));
            List<String> answers = model.generateText(adapter, batch, config);
            for (int j = 0; j < batch.size(); j++) {
                String reference = references.get(from + j);
                boolean match = ExactMatch.matches(answers.get(j), reference);
                correct += match ? 1 : 0;
                rows.add(new EvalReport.Row(batch.get(j), reference, answers.get(j), match));
            }
            listener.onProgress(rows.size(), prompts.size(), correct);
        }
        return new EvalReport(
                adapter.name(),
                model.modelType(),
                maxNewTokens,
                rows,
                (System.nanoTime() - start) / 1e9);
    }
}
