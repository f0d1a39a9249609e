package dev.lorahub.optim;

import dev.lorahub.GradientOptimizer;
import java.util.List;
import java.util.Locale;

/**
 * The optimizers by name, as the CLI and the {@code LoraHub} builder know them.
 *
 * <ul>
 *   <li>{@code "cobyla"}: {@link CobylaOptimizer}, what the LoraHub reference (nevergrad NGOpt)
 *       runs; choose it to reproduce the paper's search.
 *   <li>{@code "bobyqa"}: {@link BobyqaOptimizer}, Commons Math's BOBYQA, wrapped.
 *   <li>{@code "cmaes"}: {@link CmaEsOptimizer}.
 *   <li>{@code "one-plus-one"}: {@link OnePlusOneOptimizer}.
 *   <li>{@code "quadratic"}: {@link QuadraticTrustRegionOptimizer}, COBYLA's start then quadratic
 *       models.
 *   <li>{@code "quadratic-batch"}: the same with the N axis probes in one batch (for a backend that
 *       scores several candidates in one pass), then their combination.
 *   <li>{@code "random"}: {@link RandomSearchOptimizer}.
 * </ul>
 *
 * <p>There is no optimizer named "default": {@code LoraHub}'s default is {@code "cobyla"}, the
 * paper's; {@code "quadratic"} measured best at budgets 40 and 100 (docs/optimizers.md).
 *
 * <p>Gradient optimizers ({@link #gradientByName(String)}), for models that give gradients: {@code
 * "adam"}, {@link AdamOptimizer} (what {@link dev.lorahub.Recipe#BEST} runs), and {@code
 * "descent"}, {@link DescentOptimizer}, steepest descent with a line search, for short budgets.
 */
public final class Optimizers {
    private Optimizers() {}

    /**
     * @return the names {@link #byName(String)} accepts
     */
    public static List<String> names() {
        return List.of(
                "cobyla",
                "bobyqa",
                "cmaes",
                "one-plus-one",
                "quadratic",
                "quadratic-batch",
                "random");
    }

    /**
     * @return the names {@link #gradientByName(String)} accepts: optimizers that need the model's
     *     gradients ({@link dev.lorahub.GradientOptimizer})
     */
    public static List<String> gradientNames() {
        return List.of("adam", "descent");
    }

    /**
     * @param name one of {@link #gradientNames()}, case-insensitive
     * @return a new gradient optimizer of that name
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static GradientOptimizer gradientByName(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "adam":
                return new AdamOptimizer();
            case "descent":
                return new DescentOptimizer();
            default:
                break;
        }
        throw new IllegalArgumentException(
                "unknown gradient optimizer '" + name + "', known: " + gradientNames());
    }

    /**
     * @param name one of {@link #names()}, case-insensitive
     * @return a new optimizer of that name
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static AskTellOptimizer byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cobyla" -> new CobylaOptimizer();
            case "bobyqa" -> new BobyqaOptimizer();
            case "cmaes" -> new CmaEsOptimizer();
            case "one-plus-one" -> new OnePlusOneOptimizer();
            case "quadratic" -> new QuadraticTrustRegionOptimizer();
            case "quadratic-batch" -> new QuadraticTrustRegionOptimizer(1.0, 2, true);
            case "random" -> new RandomSearchOptimizer();
            default ->
                    throw new IllegalArgumentException(
                            "unknown optimizer '"
                                    + name
                                    + "', known: "
                                    + names()
                                    + " and, with gradients, "
                                    + gradientNames());
        };
    }
}
