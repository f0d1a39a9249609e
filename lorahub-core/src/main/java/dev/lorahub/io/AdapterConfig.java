package dev.lorahub.io;

import dev.lorahub.internal.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * PEFT's {@code adapter_config.json} for LoRA ({@code peft_type "LORA"}), immutable.
 *
 * <p>Every LoRA field of PEFT's {@code LoraConfig} that changes what the adapter computes is a
 * typed value here: {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code fan_in_fan_out},
 * {@code bias}, {@code use_rslora}, {@code target_modules}, {@code exclude_modules}, {@code
 * modules_to_save}, {@code layers_to_transform}, {@code layers_pattern}, {@code rank_pattern},
 * {@code alpha_pattern}, {@code use_dora}, {@code lora_bias}, {@code task_type}, {@code peft_type},
 * {@code base_model_name_or_path}. Every other key (PEFT's bookkeeping such as {@code
 * inference_mode} or {@code loftq_config}, and keys this library does not know) is kept verbatim as
 * raw JSON in {@link #extraJson()} and written back unchanged; unknown keys are reported once per
 * read at WARN level.
 *
 * <p>Per-module values follow PEFT: {@link #rankFor(String)} and {@link #alphaFor(String)} take the
 * first key {@code k} of {@code rank_pattern} / {@code alpha_pattern}, in order, for which the
 * regular expression {@code (.*\.)?(k)$} matches the module path, else {@code r} / {@code
 * lora_alpha}; {@link #scalingFor(String)} is {@code alpha / r}, or {@code alpha / sqrt(r)} with
 * {@code use_rslora}.
 *
 * <p>Create one with {@link #read(Path)}, {@link #fromJson(String, Path)}, the short constructor or
 * {@link #builder()}; derive variants with {@link #toBuilder()}.
 */
public final class AdapterConfig {
    /** PEFT's defaults for a config made in code. */
    static final int DEFAULT_R = 8;

    static final double DEFAULT_ALPHA = 8;

    final String peftType;
    final @Nullable String taskType;
    final @Nullable String baseModelNameOrPath;
    final int r;
    final double loraAlpha;
    final double loraDropout;
    final boolean fanInFanOut;
    final LoraBias bias;
    final boolean useRslora;
    final @Nullable ModuleSelector targetModules;
    final @Nullable ModuleSelector excludeModules;
    final @Nullable List<String> modulesToSave;
    final @Nullable List<Integer> layersToTransform;
    final @Nullable List<String> layersPattern;
    final Map<String, Integer> rankPattern;
    final Map<String, Double> alphaPattern;
    final boolean useDora;
    final boolean loraBias;
    final Map<String, String> extraJson;
    final Set<String> presentKeys;
    final boolean scalarLayersToTransform;
    final boolean scalarLayersPattern;
    private final List<Map.Entry<Pattern, Integer>> rankMatchers;
    private final List<Map.Entry<Pattern, Double>> alphaMatchers;

    /**
     * A config with PEFT's defaults for everything but the four given values (dropout 0, bias
     * "none", no rsLoRA, no DoRA, no patterns).
     *
     * @param baseModelNameOrPath the base model the adapter was trained for
     * @param r the default rank, at least 1
     * @param loraAlpha the default alpha, finite
     * @param targetModules the targeted module names, e.g. {@code ["q", "v"]}
     */
    public AdapterConfig(
            String baseModelNameOrPath, int r, double loraAlpha, List<String> targetModules) {
        this(
                builder()
                        .baseModelNameOrPath(baseModelNameOrPath)
                        .r(r)
                        .loraAlpha(loraAlpha)
                        .targetModules(ModuleSelector.names(targetModules)));
    }

    AdapterConfig(AdapterConfigBuilder b) {
        this.peftType = b.peftType;
        this.taskType = b.taskType;
        this.baseModelNameOrPath = b.baseModelNameOrPath;
        if (b.r < 1) {
            throw new IllegalArgumentException("r must be >= 1, got " + b.r);
        }
        this.r = b.r;
        this.loraAlpha = requireFinite("lora_alpha", b.loraAlpha);
        this.loraDropout = requireFinite("lora_dropout", b.loraDropout);
        this.fanInFanOut = b.fanInFanOut;
        this.bias = b.bias;
        this.useRslora = b.useRslora;
        this.targetModules = b.targetModules;
        this.excludeModules = b.excludeModules;
        this.modulesToSave = b.modulesToSave == null ? null : List.copyOf(b.modulesToSave);
        this.layersToTransform =
                b.layersToTransform == null ? null : List.copyOf(b.layersToTransform);
        this.layersPattern = b.layersPattern == null ? null : List.copyOf(b.layersPattern);
        this.rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(b.rankPattern));
        this.alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(b.alphaPattern));
        this.useDora = b.useDora;
        this.loraBias = b.loraBias;
        this.extraJson = Collections.unmodifiableMap(new LinkedHashMap<>(b.extraJson));
        this.presentKeys = Collections.unmodifiableSet(new LinkedHashSet<>(b.presentKeys));
        this.scalarLayersToTransform = b.scalarLayersToTransform;
        this.scalarLayersPattern = b.scalarLayersPattern;
        this.rankMatchers = new ArrayList<>();
        for (Map.Entry<String, Integer> e : rankPattern.entrySet()) {
            if (e.getValue() < 1) {
                throw new IllegalArgumentException(
                        "rank_pattern['" + e.getKey() + "'] must be >= 1, got " + e.getValue());
            }
            rankMatchers.add(Map.entry(patternKey("rank_pattern", e.getKey()), e.getValue()));
        }
        this.alphaMatchers = new ArrayList<>();
        for (Map.Entry<String, Double> e : alphaPattern.entrySet()) {
            requireFinite("alpha_pattern['" + e.getKey() + "']", e.getValue());
            alphaMatchers.add(Map.entry(patternKey("alpha_pattern", e.getKey()), e.getValue()));
        }
    }

    private static double requireFinite(String what, double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite, got " + v);
        }
        return v;
    }

    private static Pattern patternKey(String field, String key) {
        try {
            return Pattern.compile("(.*\\.)?(" + key + ")$");
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(
                    field
                            + " key \""
                            + key
                            + "\" is not a valid regular expression: "
                            + e.getDescription(),
                    e);
        }
    }

    /**
     * Reads {@code adapter_config.json}.
     *
     * @param file the JSON file
     * @return the config
     * @throws IOException if the file cannot be read
     * @throws AdapterFormatException if it is a folder, not UTF-8, not valid JSON, or a field has
     *     the wrong type or value
     */
    public static AdapterConfig read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new AdapterFormatException(file, "is a folder, not an adapter_config.json file");
        }
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder utf8 =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        String json;
        try {
            json = utf8.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new AdapterFormatException(
                    file, "not valid UTF-8 at byte " + in.position() + " (JSON must be UTF-8)", e);
        }
        return AdapterConfigJson.parse(json, file);
    }

    /**
     * Parses the text of an {@code adapter_config.json}.
     *
     * @param json the JSON text
     * @param file the file it came from, named in error messages
     * @return the config
     * @throws AdapterFormatException if it is not valid JSON or a field has the wrong type or value
     */
    public static AdapterConfig fromJson(String json, Path file) {
        return AdapterConfigJson.parse(json, file);
    }

    /**
     * @return this config as PEFT writes it ({@code json.dumps(indent=2, sort_keys=True)}: keys
     *     sorted, two-space indent, no trailing newline); unknown keys are written back verbatim
     */
    public String toJson() {
        return AdapterConfigJson.write(this);
    }

    /**
     * Writes {@link #toJson()} to a temp file beside {@code file} and moves it into place.
     *
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    /**
     * @return a builder holding every value of this config, unknown keys included
     */
    public AdapterConfigBuilder toBuilder() {
        return new AdapterConfigBuilder(this);
    }

    /**
     * @return a builder with PEFT's defaults (r 8, lora_alpha 8, no targets)
     */
    public static AdapterConfigBuilder builder() {
        return new AdapterConfigBuilder();
    }

    /**
     * @return {@code peft_type}, always {@code "LORA"} for configs this library reads
     */
    public String peftType() {
        return peftType;
    }

    /**
     * @return {@code task_type}, e.g. {@code CAUSAL_LM} or {@code SEQ_2_SEQ_LM}
     */
    public Optional<String> taskType() {
        return Optional.ofNullable(taskType);
    }

    /**
     * @return {@code base_model_name_or_path}, or the empty string when it is null
     */
    public String baseModelNameOrPath() {
        return baseModelNameOrPath == null ? "" : baseModelNameOrPath;
    }

    /**
     * @return {@code r}, the default rank
     */
    public int r() {
        return r;
    }

    /**
     * @return {@code lora_alpha}, the default alpha (PEFT allows floats)
     */
    public double loraAlpha() {
        return loraAlpha;
    }

    /**
     * @return {@code lora_dropout} (training only; has no effect on deltaW)
     */
    public double loraDropout() {
        return loraDropout;
    }

    /**
     * @return {@code fan_in_fan_out}: the base layers store weights {@code [in, out]} (Conv1D)
     */
    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    /**
     * @return {@code bias}
     */
    public LoraBias bias() {
        return bias;
    }

    /**
     * @return {@code use_rslora}: scaling is {@code alpha / sqrt(r)} instead of {@code alpha / r}
     */
    public boolean useRslora() {
        return useRslora;
    }

    /**
     * @return {@code target_modules} as a list: the names of a list, or a one-element list holding
     *     the regex or {@code "all-linear"}; empty when the key is null
     */
    public List<String> targetModules() {
        return targetModules == null ? List.of() : targetModules.asList();
    }

    /**
     * @return {@code target_modules} with its form (names, regex, all-linear), if set
     */
    public Optional<ModuleSelector> targetSelector() {
        return Optional.ofNullable(targetModules);
    }

    /**
     * @return {@code exclude_modules}, if set
     */
    public Optional<ModuleSelector> excludeSelector() {
        return Optional.ofNullable(excludeModules);
    }

    /**
     * @return {@code modules_to_save} (modules stored in full), empty when null
     */
    public List<String> modulesToSave() {
        return modulesToSave == null ? List.of() : modulesToSave;
    }

    /**
     * @return {@code layers_to_transform} (a single index is a one-element list), empty if null
     */
    public List<Integer> layersToTransform() {
        return layersToTransform == null ? List.of() : layersToTransform;
    }

    /**
     * @return {@code layers_pattern} (a single string is a one-element list), empty if null
     */
    public List<String> layersPattern() {
        return layersPattern == null ? List.of() : layersPattern;
    }

    /**
     * @return {@code rank_pattern}: per-module rank overrides, in file order
     */
    public Map<String, Integer> rankPattern() {
        return rankPattern;
    }

    /**
     * @return {@code alpha_pattern}: per-module alpha overrides, in file order
     */
    public Map<String, Double> alphaPattern() {
        return alphaPattern;
    }

    /**
     * @return {@code use_dora} (weight-decomposed LoRA, not supported by the merges)
     */
    public boolean useDora() {
        return useDora;
    }

    /**
     * @return {@code lora_bias}: lora_B carries a bias vector (not supported by the merges)
     */
    public boolean loraBias() {
        return loraBias;
    }

    /**
     * @return every key this class does not model (PEFT bookkeeping and unknown keys), mapped to
     *     its raw JSON text, in file order
     */
    public Map<String, String> extraJson() {
        return extraJson;
    }

    /**
     * The rank of one module: the first {@code rank_pattern} key {@code k}, in order, for which
     * {@code (.*\.)?(k)$} matches {@code modulePath}, else {@code r}.
     *
     * @param modulePath e.g. {@code model.layers.0.self_attn.q_proj}
     * @return its rank
     */
    public int rankFor(String modulePath) {
        for (Map.Entry<Pattern, Integer> e : rankMatchers) {
            if (e.getKey().matcher(modulePath).matches()) {
                return e.getValue();
            }
        }
        return r;
    }

    /**
     * The alpha of one module, resolved through {@code alpha_pattern} like {@link
     * #rankFor(String)}.
     *
     * @param modulePath e.g. {@code model.layers.0.self_attn.q_proj}
     * @return its alpha
     */
    public double alphaFor(String modulePath) {
        for (Map.Entry<Pattern, Double> e : alphaMatchers) {
            if (e.getKey().matcher(modulePath).matches()) {
                return e.getValue();
            }
        }
        return loraAlpha;
    }

    /**
     * The scaling of one module: {@code s = alphaFor(p) / rankFor(p)}, or {@code alphaFor(p) /
     * sqrt(rankFor(p))} with {@code use_rslora}; {@code deltaW = s * B @ A}.
     *
     * @param modulePath e.g. {@code model.layers.0.self_attn.q_proj}
     * @return s
     */
    public double scalingFor(String modulePath) {
        int rank = rankFor(modulePath);
        double alpha = alphaFor(modulePath);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /**
     * Whether PEFT would put a LoRA layer on this module: not excluded by {@code exclude_modules},
     * selected by {@code target_modules} (see {@link ModuleSelector}), and, for a list of names
     * with {@code layers_to_transform}, inside one of those layers (the index after {@code
     * layers_pattern}, or after any {@code name.<index>.} segment when the pattern is unset).
     *
     * @param modulePath e.g. {@code model.layers.0.self_attn.q_proj}
     * @return whether it is targeted
     */
    public boolean targets(String modulePath) {
        if (excludeModules != null && excludeModules.matches(modulePath)) {
            return false;
        }
        if (targetModules == null || !targetModules.matches(modulePath)) {
            return false;
        }
        if (targetModules.kind() != ModuleSelector.Kind.NAMES || layersToTransform == null) {
            return true;
        }
        Integer index = layerIndex(modulePath);
        return index != null && layersToTransform.contains(index);
    }

    private @Nullable Integer layerIndex(String modulePath) {
        List<String> patterns = layersPattern == null ? List.of() : layersPattern;
        if (patterns.isEmpty()) {
            Matcher m = Pattern.compile(".*\\.[^.]*\\.(\\d+)\\..*").matcher(modulePath);
            return m.matches() ? Integer.valueOf(m.group(1)) : null;
        }
        for (String p : patterns) {
            Matcher m = Pattern.compile(".*\\." + p + "\\.(\\d+)\\..*").matcher(modulePath);
            if (m.matches()) {
                return Integer.valueOf(m.group(1));
            }
        }
        return null;
    }

    /** Keys of the modelled fields that the source JSON held (all standard ones for code). */
    Set<String> presentKeys() {
        return presentKeys;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        if (!(o instanceof AdapterConfig c)) {
            return false;
        }
        return peftType.equals(c.peftType)
                && Objects.equals(taskType, c.taskType)
                && Objects.equals(baseModelNameOrPath, c.baseModelNameOrPath)
                && r == c.r
                && Double.compare(loraAlpha, c.loraAlpha) == 0
                && Double.compare(loraDropout, c.loraDropout) == 0
                && fanInFanOut == c.fanInFanOut
                && bias == c.bias
                && useRslora == c.useRslora
                && Objects.equals(targetModules, c.targetModules)
                && Objects.equals(excludeModules, c.excludeModules)
                && Objects.equals(modulesToSave, c.modulesToSave)
                && Objects.equals(layersToTransform, c.layersToTransform)
                && Objects.equals(layersPattern, c.layersPattern)
                && rankPattern.equals(c.rankPattern)
                && alphaPattern.equals(c.alphaPattern)
                && useDora == c.useDora
                && loraBias == c.loraBias
                && extraJson.equals(c.extraJson);
    }

    @Override
    public int hashCode() {
        return Objects.hash(baseModelNameOrPath, r, loraAlpha, targetModules, rankPattern);
    }

    @Override
    public String toString() {
        return "AdapterConfig[base="
                + baseModelNameOrPath
                + ", r="
                + r
                + ", lora_alpha="
                + loraAlpha
                + ", targets="
                + targetModules
                + (useRslora ? ", rslora" : "")
                + (rankPattern.isEmpty() ? "" : ", rank_pattern=" + rankPattern)
                + (alphaPattern.isEmpty() ? "" : ", alpha_pattern=" + alphaPattern)
                + "]";
    }
}
