package dev.lorahub;

import dev.lorahub.spi.BaseModel;

import org.jspecify.annotations.Nullable;

/** The options of a {@link LearnStep}; defaults are the reference's. */
record LearnSettings(
        @Nullable BaseModel model,
        @Nullable Optimizer optimizer,
        int budget,
        long seed,
        double lowerBound,
        double upperBound,
        double regularization,
        int batchSize,
        LoraHubListener listener,
        ModuleSelection selection,
        Composer composer) {

    static LearnSettings defaults() {
        return new LearnSettings(
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
                Composer.of(MergeStrategy.LORAHUB));
    }

    LearnSettings withModel(BaseModel v) {
        return new LearnSettings(
                v,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection,
                composer);
    }

    LearnSettings withOptimizer(Optimizer v) {
        return new LearnSettings(
                model,
                v,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection,
                composer);
    }

    LearnSettings withBudget(int v) {
        return new LearnSettings(
                model,
                optimizer,
                v,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection,
                composer);
    }

    LearnSettings withSeed(long v) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                v,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection,
                composer);
    }

    LearnSettings withRegularization(double v) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                v,
                batchSize,
                listener,
                selection,
                composer);
    }

    LearnSettings withBatchSize(int v) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                v,
                listener,
                selection,
                composer);
    }

    LearnSettings withListener(LoraHubListener v) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                v,
                selection,
                composer);
    }

    LearnSettings withSelection(ModuleSelection v) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                v,
                composer);
    }

    LearnSettings withComposer(Composer v) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection,
                v);
    }

    LearnSettings withBounds(double lo, double hi) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lo,
                hi,
                regularization,
                batchSize,
                listener,
                selection,
                composer);
    }
}
