package dev.lorahub.io;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Mutable builder of {@link AdapterConfig}; every setter names the PEFT key it sets. Unknown keys
 * of a config it was made from are carried over.
 */
public final class AdapterConfigBuilder {
    String peftType = "LORA";
    @Nullable String taskType;
    @Nullable String baseModelNameOrPath;
    int r = AdapterConfig.DEFAULT_R;
    double loraAlpha = AdapterConfig.DEFAULT_ALPHA;
    double loraDropout;
    boolean fanInFanOut;
    LoraBias bias = LoraBias.NONE;
    boolean useRslora;
    @Nullable ModuleSelector targetModules;
    @Nullable ModuleSelector excludeModules;
    @Nullable List<String> modulesToSave;
    @Nullable List<Integer> layersToTransform;
    @Nullable List<String> layersPattern;
    Map<String, Integer> rankPattern = new LinkedHashMap<>();
    Map<String, Double> alphaPattern = new LinkedHashMap<>();
    boolean useDora;
    boolean loraBias;
    Map<String, String> extraJson = new LinkedHashMap<>();
    Set<String> presentKeys = new LinkedHashSet<>(AdapterConfigJson.STANDARD_KEYS);
    boolean scalarLayersToTransform;
    boolean scalarLayersPattern;

    AdapterConfigBuilder() {}

    AdapterConfigBuilder(AdapterConfig c) {
        peftType = c.peftType;
        taskType = c.taskType;
        baseModelNameOrPath = c.baseModelNameOrPath;
        r = c.r;
        loraAlpha = c.loraAlpha;
        loraDropout = c.loraDropout;
        fanInFanOut = c.fanInFanOut;
        bias = c.bias;
        useRslora = c.useRslora;
        targetModules = c.targetModules;
        excludeModules = c.excludeModules;
        modulesToSave = c.modulesToSave;
        layersToTransform = c.layersToTransform;
        layersPattern = c.layersPattern;
        rankPattern = new LinkedHashMap<>(c.rankPattern);
        alphaPattern = new LinkedHashMap<>(c.alphaPattern);
        useDora = c.useDora;
        loraBias = c.loraBias;
        extraJson = new LinkedHashMap<>(c.extraJson);
        presentKeys = new LinkedHashSet<>(c.presentKeys);
        scalarLayersToTransform = c.scalarLayersToTransform;
        scalarLayersPattern = c.scalarLayersPattern;
    }

    /** Sets {@code task_type}, or null; returns this builder. */
    public AdapterConfigBuilder taskType(@Nullable String v) {
        taskType = v;
        return this;
    }

    /** Sets {@code base_model_name_or_path}, or null; returns this builder. */
    public AdapterConfigBuilder baseModelNameOrPath(@Nullable String v) {
        baseModelNameOrPath = v;
        return this;
    }

    /** Sets {@code r}, at least 1; returns this builder. */
    public AdapterConfigBuilder r(int v) {
        r = v;
        return this;
    }

    /** Sets {@code lora_alpha}; returns this builder. */
    public AdapterConfigBuilder loraAlpha(double v) {
        loraAlpha = v;
        return this;
    }

    /** Sets {@code lora_dropout}; returns this builder. */
    public AdapterConfigBuilder loraDropout(double v) {
        loraDropout = v;
        return this;
    }

    /** Sets {@code fan_in_fan_out}; returns this builder. */
    public AdapterConfigBuilder fanInFanOut(boolean v) {
        fanInFanOut = v;
        return this;
    }

    /** Sets {@code bias}; returns this builder. */
    public AdapterConfigBuilder bias(LoraBias v) {
        bias = Objects.requireNonNull(v, "bias");
        return this;
    }

    /** Sets {@code use_rslora}; returns this builder. */
    public AdapterConfigBuilder useRslora(boolean v) {
        useRslora = v;
        return this;
    }

    /** Sets {@code target_modules}, or null; returns this builder. */
    public AdapterConfigBuilder targetModules(@Nullable ModuleSelector v) {
        targetModules = v;
        return this;
    }

    /** Sets {@code exclude_modules}, or null; returns this builder. */
    public AdapterConfigBuilder excludeModules(@Nullable ModuleSelector v) {
        excludeModules = v;
        presentKeys.add("exclude_modules");
        return this;
    }

    /** Sets {@code modules_to_save}, or null; returns this builder. */
    public AdapterConfigBuilder modulesToSave(@Nullable List<String> v) {
        modulesToSave = v == null ? null : List.copyOf(v);
        return this;
    }

    /** Sets {@code layers_to_transform}, or null; returns this builder. */
    public AdapterConfigBuilder layersToTransform(@Nullable List<Integer> v) {
        layersToTransform = v == null ? null : List.copyOf(v);
        scalarLayersToTransform = false;
        return this;
    }

    /** Sets {@code layers_pattern}, or null; returns this builder. */
    public AdapterConfigBuilder layersPattern(@Nullable List<String> v) {
        layersPattern = v == null ? null : List.copyOf(v);
        scalarLayersPattern = false;
        return this;
    }

    /** Sets {@code rank_pattern} (order matters: first match wins); returns this builder. */
    public AdapterConfigBuilder rankPattern(Map<String, Integer> v) {
        rankPattern = new LinkedHashMap<>(v);
        return this;
    }

    /** Sets {@code alpha_pattern} (order matters: first match wins); returns this builder. */
    public AdapterConfigBuilder alphaPattern(Map<String, Double> v) {
        alphaPattern = new LinkedHashMap<>(v);
        return this;
    }

    /** Sets {@code use_dora}; returns this builder. */
    public AdapterConfigBuilder useDora(boolean v) {
        useDora = v;
        return this;
    }

    /** Sets {@code lora_bias}; returns this builder. */
    public AdapterConfigBuilder loraBias(boolean v) {
        loraBias = v;
        presentKeys.add("lora_bias");
        return this;
    }

    /**
     * Sets a key this class does not model, written back verbatim.
     *
     * @param key the JSON key, not one of the modelled keys
     * @param rawJson its value as JSON text, e.g. {@code true} or {@code {"a": 1}}
     * @return this
     * @throws IllegalArgumentException if the key is modelled or the text is not JSON
     */
    public AdapterConfigBuilder extraJson(String key, String rawJson) {
        if (AdapterConfigJson.MODELLED_KEYS.contains(key)) {
            throw new IllegalArgumentException(
                    "'" + key + "' is a modelled key; use its setter instead of extraJson");
        }
        extraJson.put(key, AdapterConfigJson.normalizeRaw(key, rawJson));
        return this;
    }

    /**
     * @return the config
     * @throws IllegalArgumentException if a value is out of range (r &lt; 1, non-finite alpha,
     *     invalid pattern regex)
     */
    public AdapterConfig build() {
        return new AdapterConfig(this);
    }
}
