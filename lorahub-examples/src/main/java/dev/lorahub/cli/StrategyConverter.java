package dev.lorahub.cli;

import dev.lorahub.MergeStrategy;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;

/**
 * Reads a {@link MergeStrategy} as users type it: lower or upper case, dashes or underscores
 * ({@code dare-ties}, {@code DARE_TIES}, {@code magnitude_prune}). Also the completion candidates.
 */
final class StrategyConverter implements ITypeConverter<MergeStrategy>, Iterable<String> {

    @Override
    public MergeStrategy convert(String value) {
        String key = value.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        for (MergeStrategy s : MergeStrategy.values()) {
            if (s.name().equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException(
                "unknown strategy '" + value + "'; expected one of " + String.join(", ", this));
    }

    /**
     * @return the CLI spelling of a strategy: lower case with dashes, e.g. {@code dare-ties}
     */
    static String cliName(MergeStrategy s) {
        return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(MergeStrategy.values()).map(StrategyConverter::cliName).iterator();
    }
}
