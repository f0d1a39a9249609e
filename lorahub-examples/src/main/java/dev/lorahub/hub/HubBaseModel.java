package dev.lorahub.hub;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import dev.lorahub.spi.TextTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hub's base model as LoraHub's {@link BaseModel}: the LoRA update runs as a side branch of the
 * forward ({@code y = x W^T + s (x A^T) B^T}, mathematically the same as patching {@code W += s B
 * A} in place) and the base weights are never touched, so there is nothing to restore. Each call
 * works in a sub-manager closed at its end. Greedy generation only (the demo's decoding). Does not
 * own the model: closing this does not close it.
 */
public final class HubBaseModel implements BaseModel {
    private final LlamaModel model;
    private final CharTokenizer tokenizer;

    /**
     * @param model the loaded base, kept open by the caller
     * @param tokenizer its tokenizer
     */
    public HubBaseModel(LlamaModel model, CharTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    @Override
    public String modelType() {
        return "llama";
    }

    @Override
    public Map<String, LinearShape> linearModules() {
        return model.linearModules();
    }

    @Override
    public Optional<TextTokenizer> tokenizer() {
        return Optional.of(tokenizer);
    }

    @Override
    public EncodedBatch encode(List<FewShotExample> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("cannot encode an empty batch");
        }
        Prompts prompts = new Prompts(tokenizer);
        int b = examples.size();
        int[][] ids = new int[b][];
        int[][] labels = new int[b][];
        int len = 0;
        int labelled = 0;
        for (int i = 0; i < b; i++) {
            FewShotExample e = examples.get(i);
            if (!e.isTokenized()) {
                e =
                        prompts.plain(
                                new TaskExample(e.input().orElseThrow(), e.output().orElseThrow()));
            }
            ids[i] = e.inputIds().orElseThrow();
            labels[i] = e.labels().orElseThrow();
            len = Math.max(len, ids[i].length);
            for (int j = 1; j < labels[i].length; j++) {
                labelled += labels[i][j] == FewShotExample.IGNORE_INDEX ? 0 : 1;
            }
        }
        long[] flatIds = new long[b * len];
        long[] flatLabels = new long[b * len];
        Arrays.fill(flatLabels, FewShotExample.IGNORE_INDEX);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < ids[i].length; j++) {
                flatIds[i * len + j] = ids[i][j];
                flatLabels[i * len + j] = labels[i][j];
            }
        }
        return new Batch(b, len, flatIds, flatLabels, labelled);
    }

    @Override
    public double loss(LoraModule adapter, EncodedBatch batch) {
        if (!(batch instanceof Batch hb)) {
            throw new IllegalArgumentException("batch was not encoded by this model: " + batch);
        }
        try (NDManager scope = model.manager().newSubManager()) {
            Shape shape = new Shape(hb.size, hb.length);
            NDArray logits =
                    model.logits(scope.create(hb.ids, shape), Generator.pairs(adapter, scope));
            return CrossEntropy.causal(logits, scope.create(hb.labels, shape)).getFloat();
        }
    }

    @Override
    public List<int[]> generate(
            LoraModule adapter, List<int[]> promptIds, GenerationConfig config) {
        if (config.temperature() != 0) {
            throw new IllegalArgumentException(
                    "the hub model decodes greedily only, got temperature " + config.temperature());
        }
        return Generator.greedy(model, adapter, promptIds, config.maxNewTokens());
    }

    /** Does nothing: the caller owns the model. */
    @Override
    public void close() {}

    private record Batch(int size, int length, long[] ids, long[] labels, int labelled)
            implements EncodedBatch {
        @Override
        public int labelledTokens() {
            return labelled;
        }

        @Override
        public void close() {}
    }
}
