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
        ModuleSelection selection) {

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
                ModuleSelection.all());
    }

    LearnSettings withModel(BaseModel m) {
        return new LearnSettings(
                m,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection);
    }

    LearnSettings withOptimizer(Optimizer o) {
        return new LearnSettings(
                model,
                o,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection);
    }

    LearnSettings withBudget(int b) {
        return new LearnSettings(
                model,
                optimizer,
                b,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection);
    }

    LearnSettings withSeed(long s) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                s,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                listener,
                selection);
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
                selection);
    }

    LearnSettings withRegularization(double r) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                r,
                batchSize,
                listener,
                selection);
    }

    LearnSettings withBatchSize(int b) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                b,
                listener,
                selection);
    }

    LearnSettings withListener(LoraHubListener l) {
        return new LearnSettings(
                model,
                optimizer,
                budget,
                seed,
                lowerBound,
                upperBound,
                regularization,
                batchSize,
                l,
                selection);
    }

    LearnSettings withSelection(ModuleSelection s) {
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
                s);
    }
}
