package dev.lorahub;

import dev.lorahub.io.HfCache;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.WeightDtype;
import java.time.Duration;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** The options of a {@link LearnStep}; defaults are the reference's. */
record LearnSettings(
        @Nullable BaseModel model,
        @Nullable Optimizer optimizer,
        @Nullable GradientOptimizer gradientOptimizer,
        int budget,
        long seed,
        double lowerBound,
        double upperBound,
        double regularization,
        int batchSize,
        LoraHubListener listener,
        ModuleSelection selection,
        Composer composer,
        @Nullable HfCache hfCache,
        @Nullable String revision,
        @Nullable ExampleTemplate template,
        @Nullable Cancellation cancellation,
        @Nullable Duration timeLimit,
        WeightDtype dtype,
        boolean perLayerWeights,
        boolean earlyStopping,
        int miniBatch) {

    static LearnSettings defaults() {
        return new LearnSettings(
                null,
                null,
                null,
                LoraHub.DEFAULT_BUDGET,
                LoraHub.DEFAULT_SEED,
                LoraHub.DEFAULT_LOWER_BOUND,
                LoraHub.DEFAULT_UPPER_BOUND,
                LoraHub.DEFAULT_REGULARIZATION,
                0,
                LoraHubListener.NONE,
                ModuleSelection.all(),
                Composer.of(MergeStrategy.LORAHUB),
                null,
                null,
                null,
                null,
                null,
                WeightDtype.F32,
                false,
                false,
                0);
    }

    LearnSettings withModel(BaseModel v) {
        return with(b -> b.model = v);
    }

    /** A gradient-free optimizer; replaces any gradient optimizer set before. */
    LearnSettings withOptimizer(Optimizer v) {
        return with(
                b -> {
                    b.optimizer = v;
                    b.gradientOptimizer = null;
                });
    }

    /** A gradient optimizer; replaces any gradient-free optimizer set before. */
    LearnSettings withGradientOptimizer(GradientOptimizer v) {
        return with(
                b -> {
                    b.gradientOptimizer = v;
                    b.optimizer = null;
                });
    }

    LearnSettings withBudget(int v) {
        return with(b -> b.budget = v);
    }

    LearnSettings withSeed(long v) {
        return with(b -> b.seed = v);
    }

    LearnSettings withRegularization(double v) {
        return with(b -> b.regularization = v);
    }

    LearnSettings withBatchSize(int v) {
        return with(b -> b.batchSize = v);
    }

    LearnSettings withListener(LoraHubListener v) {
        return with(b -> b.listener = v);
    }

    LearnSettings withSelection(ModuleSelection v) {
        return with(b -> b.selection = v);
    }

    LearnSettings withComposer(Composer v) {
        return with(b -> b.composer = v);
    }

    LearnSettings withHfCache(HfCache v) {
        return with(b -> b.hfCache = v);
    }

    LearnSettings withRevision(String v) {
        return with(b -> b.revision = v);
    }

    LearnSettings withTemplate(ExampleTemplate v) {
        return with(b -> b.template = v);
    }

    LearnSettings withCancellation(Cancellation v) {
        return with(b -> b.cancellation = v);
    }

    LearnSettings withTimeLimit(Duration v) {
        return with(b -> b.timeLimit = v);
    }

    LearnSettings withDtype(WeightDtype v) {
        return with(b -> b.dtype = v);
    }

    LearnSettings withPerLayerWeights(boolean v) {
        return with(b -> b.perLayerWeights = v);
    }

    LearnSettings withEarlyStopping(boolean v) {
        return with(b -> b.earlyStopping = v);
    }

    LearnSettings withMiniBatch(int v) {
        return with(b -> b.miniBatch = v);
    }

    LearnSettings withBounds(double lo, double hi) {
        return with(
                b -> {
                    b.lowerBound = lo;
                    b.upperBound = hi;
                });
    }

    /** One copy with some fields changed: the {@code with...} methods above, written once. */
    private LearnSettings with(Consumer<Copy> change) {
        Copy b = new Copy(this);
        change.accept(b);
        return new LearnSettings(
                b.model,
                b.optimizer,
                b.gradientOptimizer,
                b.budget,
                b.seed,
                b.lowerBound,
                b.upperBound,
                b.regularization,
                b.batchSize,
                b.listener,
                b.selection,
                b.composer,
                b.hfCache,
                b.revision,
                b.template,
                b.cancellation,
                b.timeLimit,
                b.dtype,
                b.perLayerWeights,
                b.earlyStopping,
                b.miniBatch);
    }

    /** The fields of a settings object, mutable for the length of one {@link #with} call. */
    private static final class Copy {

        @Nullable BaseModel model;

        @Nullable Optimizer optimizer;

        @Nullable GradientOptimizer gradientOptimizer;

        int budget;

        long seed;

        double lowerBound;

        double upperBound;

        double regularization;

        int batchSize;

        LoraHubListener listener;

        ModuleSelection selection;

        Composer composer;

        @Nullable HfCache hfCache;

        @Nullable String revision;

        @Nullable ExampleTemplate template;

        @Nullable Cancellation cancellation;

        @Nullable Duration timeLimit;
        WeightDtype dtype;

        boolean perLayerWeights;

        boolean earlyStopping;

        int miniBatch;

        Copy(LearnSettings s) {

            model = s.model;

            optimizer = s.optimizer;

            gradientOptimizer = s.gradientOptimizer;

            budget = s.budget;

            seed = s.seed;

            lowerBound = s.lowerBound;

            upperBound = s.upperBound;

            regularization = s.regularization;

            batchSize = s.batchSize;

            listener = s.listener;

            selection = s.selection;

            composer = s.composer;

            hfCache = s.hfCache;

            revision = s.revision;

            template = s.template;

            cancellation = s.cancellation;

            timeLimit = s.timeLimit;
            dtype = s.dtype;

            perLayerWeights = s.perLayerWeights;

            earlyStopping = s.earlyStopping;

            miniBatch = s.miniBatch;
        }
    }
}
