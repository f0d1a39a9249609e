package dev.lorahub.cli;

import dev.lorahub.Composer;
import dev.lorahub.MajoritySign;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The composition options {@code lorahub merge} and {@code lorahub learn} share, as a picocli
 * mixin: {@code --density}, {@code --svd-rank}, {@code --majority-sign}. Each unset option leaves
 * {@link Composer}'s default.
 */
final class ComposerOptions {
    @Option(
            names = "--density",
            paramLabel = "D",
            description = "Fraction of entries kept by ties, dare-*, magnitude-prune, in [0, 1].")
    @Nullable Double density;

    @Option(
            names = "--svd-rank",
            paramLabel = "R",
            description = "Rank of an svd result (default: the largest input rank).")
    @Nullable Integer svdRank;

    @Option(
            names = "--majority-sign",
            paramLabel = "total|frequency",
            description =
                    "How ties and dare-ties elect each element's sign: total (sign of the sum,"
                            + " default) or frequency (sign held by more adapters).")
    @Nullable MajoritySign majoritySign;

    /**
     * @return whether any of the options was given
     */
    boolean isSet() {
        return density != null || svdRank != null || majoritySign != null;
    }

    /**
     * @param composer a composer
     * @return it with each option given set
     */
    Composer applyTo(Composer composer) {
        return apply(composer, density, svdRank, majoritySign);
    }

    /** The composer with each given (non-null) option set. */
    static Composer apply(
            Composer composer,
            @Nullable Double density,
            @Nullable Integer svdRank,
            @Nullable MajoritySign majoritySign) {
        Composer c = composer;
        if (density != null) {
            c = c.density(density);
        }
        if (svdRank != null) {
            c = c.svdRank(svdRank);
        }
        if (majoritySign != null) {
            c = c.majoritySign(majoritySign);
        }
        return c;
    }
}
