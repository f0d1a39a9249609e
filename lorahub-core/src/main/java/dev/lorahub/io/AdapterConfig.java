package dev.lorahub.io;

import java.util.List;
import java.util.Objects;

/**
 * PEFT's {@code adapter_config.json} for LoRA. (Skeleton: issue 2 completes every field, unknown
 * keys, rank/alpha patterns and JSON I/O.)
 *
 * @param baseModelNameOrPath the base model the adapter was trained for
 * @param r the default rank
 * @param loraAlpha the default alpha
 * @param targetModules the targeted module names
 */
public record AdapterConfig(
        String baseModelNameOrPath, int r, double loraAlpha, List<String> targetModules) {
    /** Validates and copies. */
    public AdapterConfig {
        Objects.requireNonNull(baseModelNameOrPath, "baseModelNameOrPath");
        targetModules = List.copyOf(targetModules);
    }
}
