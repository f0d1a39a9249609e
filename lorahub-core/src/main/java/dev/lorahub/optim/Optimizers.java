package dev.lorahub.optim;

import java.util.List;
import java.util.Locale;

/** The optimizers by name, as the CLI and {@code LoraHub} builders know them. */
public final class Optimizers {
    private Optimizers() {}

    /** @return the names {@link #byName(String)} accepts */
    public static List<String> names() {
        return List.of("cobyla", "random");
    }

    /**
     * @param name one of {@link #names()}, case-insensitive
     * @return a new optimizer of that name
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static AskTellOptimizer byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cobyla" -> new CobylaOptimizer();
            case "random" -> new RandomSearchOptimizer();
            default -> throw new IllegalArgumentException(
                    "unknown optimizer '" + name + "', known: " + names());
        };
    }
}
