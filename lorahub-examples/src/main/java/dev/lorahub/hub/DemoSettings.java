package dev.lorahub.hub;

import dev.lorahub.ExampleTemplate;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the demo runs.
 *
 * @param hub the hub folder
 * @param shots examples per held-out task (5)
 * @param seed seeds the draw of the examples, the reference's random selection, the optimizers and
 *     the 5-shot LoRA
 * @param testExamples test examples scored per task (at least 100 in the committed demo)
 * @param tasks how many held-out tasks to run, 0 for all
 * @param bestCandidates modules kept by loss for {@code lorahub_best}
 * @param bestBudget objective evaluations for {@code lorahub_best}
 * @param bestOptimizer optimizer name for {@code lorahub_best}
 * @param fiveShotSteps steps of the 5-shot gradient LoRA
 * @param fiveShotLr its learning rate
 * @param template the example layout, or null for the one the hub's base declares ({@code {input}>}
 *     in the committed hub's {@code base/lorahub.json})
 */
public record DemoSettings(
        Path hub,
        int shots,
        long seed,
        int testExamples,
        int tasks,
        int bestCandidates,
        int bestBudget,
        String bestOptimizer,
        int fiveShotSteps,
        double fiveShotLr,
        @Nullable ExampleTemplate template) {
    /** Validates. */
    public DemoSettings {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(bestOptimizer, "bestOptimizer");
        if (shots < 1
                || testExamples < 1
                || tasks < 0
                || bestCandidates < 1
                || bestBudget < 1
                || fiveShotSteps < 1
                || !(fiveShotLr > 0)) {
            throw new IllegalArgumentException("invalid demo settings " + this);
        }
    }

    /** The settings with the layout the hub's base declares. */
    public DemoSettings(
            Path hub,
            int shots,
            long seed,
            int testExamples,
            int tasks,
            int bestCandidates,
            int bestBudget,
            String bestOptimizer,
            int fiveShotSteps,
            double fiveShotLr) {
        this(
                hub,
                shots,
                seed,
                testExamples,
                tasks,
                bestCandidates,
                bestBudget,
                bestOptimizer,
                fiveShotSteps,
                fiveShotLr,
                null);
    }

    /**
     * @param hub the hub folder
     * @return 5 shots, seed 42, 100 test examples, all tasks, 10 candidates, 200 evaluations of the
     *     {@code quadratic} optimizer (the library default), 5-shot LoRA of 40 steps at 3e-3
     */
    public static DemoSettings defaults(Path hub) {
        return new DemoSettings(hub, 5, 42, 100, 0, 10, 200, "quadratic", 40, 3e-3);
    }
}
