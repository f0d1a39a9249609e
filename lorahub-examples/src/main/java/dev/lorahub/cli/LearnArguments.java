package dev.lorahub.cli;

import dev.lorahub.Composer;
import dev.lorahub.ExampleTemplate;
import dev.lorahub.LearnStep;
import dev.lorahub.LoraHub;
import dev.lorahub.MajoritySign;
import dev.lorahub.MergeStrategy;
import dev.lorahub.ModuleSelection;
import dev.lorahub.Recipe;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one {@code lorahub learn} run that shape the result (recipe, selection, merge,
 * optimizer, budget, seed, objective, layout), applied to a {@link LearnStep} in one place: by
 * {@code lorahub learn} from its options and by the Spark job ({@code dev.lorahub.spark}) from a
 * task row's {@code recipe}, {@code options} and {@code seed}, so both build the same run.
 *
 * @param recipe {@code paper}, {@code best} or {@code short} ({@link Recipe#parse(String)})
 * @param select {@code all}, {@code random:K} or {@code lowest-loss:K}, or null for the recipe's
 * @param strategy the merge strategy, or null for the recipe's
 * @param density {@link Composer#density(double)}, or null
 * @param svdRank {@link Composer#svdRank(int)}, or null
 * @param majoritySign {@link Composer#majoritySign(MajoritySign)}, or null
 * @param optimizer an optimizer name, or null for the recipe's
 * @param budget evaluations (forward-equivalents for {@code adam}), or null for the recipe's
 * @param seed seed of selection and optimizer
 * @param regularization factor of {@code mean |w|} in the score
 * @param batchSize examples per forward batch, or null for all in one
 * @param template the example layout (e.g. {@code {input}>}), or null for the model's
 * @param bounds {@code LO,HI}, or null for the default box
 */
public record LearnArguments(
        String recipe,
        @Nullable String select,
        @Nullable MergeStrategy strategy,
        @Nullable Double density,
        @Nullable Integer svdRank,
        @Nullable MajoritySign majoritySign,
        @Nullable String optimizer,
        @Nullable Integer budget,
        long seed,
        double regularization,
        @Nullable Integer batchSize,
        @Nullable String template,
        @Nullable String bounds) {

    /** The keys {@link #fromOptions} accepts, in the CLI's option order (snake_case). */
    public static final List<String> OPTION_KEYS =
            List.of(
                    "select",
                    "strategy",
                    "density",
                    "svd_rank",
                    "majority_sign",
                    "optimizer",
                    "budget",
                    "regularization",
                    "batch_size",
                    "template",
                    "bounds");

    /** Checks the recipe name. */
    public LearnArguments {
        Objects.requireNonNull(recipe, "recipe");
    }

    /**
     * Reads the options of a task as text, with the names of {@code lorahub learn}'s options in
     * snake_case ({@code batch_size} for {@code --batch-size}).
     *
     * @param recipe {@code paper}, {@code best} or {@code short}, or null for {@code paper}
     * @param options option name to value, as text
     * @param seed the seed
     * @return the arguments
     * @throws IllegalArgumentException naming the key and value when a key is unknown or a value
     *     does not parse
     */
    public static LearnArguments fromOptions(
            @Nullable String recipe, Map<String, String> options, long seed) {
        for (String key : options.keySet()) {
            if (!OPTION_KEYS.contains(key)) {
                throw new IllegalArgumentException(
                        "unknown option '" + key + "'; expected one of " + OPTION_KEYS);
            }
        }
        String r = recipe != null ? recipe : "paper";
        Recipe.parse(r);
        String select = options.get("select");
        if (select != null) {
            ModuleSelection.parse(select);
        }
        String strategy = options.get("strategy");
        String sign = options.get("majority_sign");
        String regularization = options.get("regularization");
        LearnArguments a =
                new LearnArguments(
                        r,
                        select,
                        strategy == null ? null : new StrategyConverter().convert(strategy),
                        number(options, "density", Double::valueOf),
                        number(options, "svd_rank", Integer::valueOf),
                        sign == null ? null : majoritySign(sign),
                        options.get("optimizer"),
                        number(options, "budget", Integer::valueOf),
                        seed,
                        regularization == null
                                ? LoraHub.DEFAULT_REGULARIZATION
                                : number(options, "regularization", Double::valueOf),
                        number(options, "batch_size", Integer::valueOf),
                        options.get("template"),
                        options.get("bounds"));
        return a;
    }

    private static <T> @Nullable T number(
            Map<String, String> options, String key, java.util.function.Function<String, T> f) {
        String v = options.get(key);
        if (v == null) {
            return null;
        }
        try {
            return f.apply(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "option '" + key + "': not a number of the right kind: '" + v + "'");
        }
    }

    private static MajoritySign majoritySign(String v) {
        try {
            return MajoritySign.valueOf(v.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "option 'majority_sign': expected total or frequency, got '" + v + "'");
        }
    }

    /**
     * @param step a step with its modules and examples
     * @return it with these settings, in the order {@code lorahub learn} applies them: the recipe
     *     first, each given setting overriding it
     * @throws IllegalArgumentException naming the setting and its value when the step refuses it
     */
    public LearnStep applyTo(LearnStep step) {
        Recipe chosen = Recipe.parse(recipe);
        LearnStep s = step.recipe(chosen).seed(seed).regularization(regularization);
        if (select != null) {
            s = s.select(ModuleSelection.parse(select));
        }
        if (strategy != null || density != null || svdRank != null || majoritySign != null) {
            s = s.composer(composer(chosen));
        }
        if (optimizer != null) {
            s = s.optimizer(optimizer);
        }
        if (budget != null) {
            s = s.budget(budget);
        }
        if (batchSize != null) {
            s = s.batchSize(batchSize);
        }
        if (template != null) {
            try {
                s = s.template(ExampleTemplate.of(template));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("template: " + e.getMessage(), e);
            }
        }
        if (bounds != null) {
            double[] lohi = twoNumbers(bounds);
            s = s.bounds(lohi[0], lohi[1]);
        }
        return s;
    }

    /** The strategy given, else the recipe's, with density, SVD rank and majority sign. */
    private Composer composer(Recipe chosen) {
        MergeStrategy s =
                strategy != null
                        ? strategy
                        : chosen == Recipe.BEST ? MergeStrategy.CAT : MergeStrategy.LORAHUB;
        return ComposerOptions.apply(Composer.of(s), density, svdRank, majoritySign);
    }

    private static double[] twoNumbers(String lohi) {
        String[] parts = lohi.split(",", -1);
        try {
            if (parts.length == 2) {
                return new double[] {
                    Double.parseDouble(parts[0].strip()), Double.parseDouble(parts[1].strip())
                };
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(
                "--bounds takes LO,HI (two numbers), got '" + lohi + "'");
    }
}
