package dev.lorahub;

import dev.lorahub.io.AdapterConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A named LoRA adapter in memory: its PEFT config and the low-rank factors of every targeted layer.
 * (Skeleton: issue 2 completes loading and saving PEFT folders.)
 */
public final class LoraModule {
    private final String name;
    private final AdapterConfig config;
    private final Map<String, LoraLayer> layers;

    /**
     * @param name the module's name (folder name when loaded)
     * @param config its adapter config
     * @param layers its layers; module paths must be distinct
     */
    public LoraModule(String name, AdapterConfig config, List<LoraLayer> layers) {
        this.name = Objects.requireNonNull(name, "name");
        this.config = Objects.requireNonNull(config, "config");
        Map<String, LoraLayer> map = new LinkedHashMap<>();
        for (LoraLayer l : layers) {
            if (map.put(l.modulePath(), l) != null) {
                throw new IllegalArgumentException(
                        "module '" + name + "': layer '" + l.modulePath() + "' given twice");
            }
        }
        this.layers = Collections.unmodifiableMap(map);
    }

    /** @return the module's name */
    public String name() {
        return name;
    }

    /** @return the adapter config */
    public AdapterConfig config() {
        return config;
    }

    /** @return layers by module path, in file order */
    public Map<String, LoraLayer> layers() {
        return layers;
    }

    /**
     * @param modulePath e.g. {@code model.layers.0.self_attn.q_proj}
     * @return that layer, if targeted
     */
    public Optional<LoraLayer> layer(String modulePath) {
        return Optional.ofNullable(layers.get(modulePath));
    }

    /**
     * Loads a PEFT adapter folder.
     *
     * @param dir folder with adapter_config.json and adapter_model.safetensors
     * @return the module, named after the folder
     * @throws IOException if the files cannot be read
     */
    public static LoraModule load(Path dir) throws IOException {
        throw new UnsupportedOperationException("issue 2");
    }

    /**
     * Saves as a PEFT adapter folder, atomically.
     *
     * @param dir the target folder
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        throw new UnsupportedOperationException("issue 2");
    }
}
