package dev.lorahub.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.internal.Logs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/** Reads and writes {@link AdapterConfig} as PEFT's adapter_config.json. */
final class AdapterConfigJson {
    private static final Logger LOG = Logs.get(AdapterConfig.class);

    /** Modelled keys every PEFT version since 0.7 writes; the others only when set or read. */
    static final Set<String> STANDARD_KEYS =
            Set.of(
                    "peft_type",
                    "task_type",
                    "base_model_name_or_path",
                    "r",
                    "lora_alpha",
                    "lora_dropout",
                    "fan_in_fan_out",
                    "bias",
                    "use_rslora",
                    "target_modules",
                    "modules_to_save",
                    "layers_to_transform",
                    "layers_pattern",
                    "rank_pattern",
                    "alpha_pattern",
                    "use_dora");

    /**
     * Keys that {@link AdapterConfig} holds as typed values: the standard ones plus those PEFT
     * writes only when set.
     */
    static final Set<String> MODELLED_KEYS = union(STANDARD_KEYS, "exclude_modules", "lora_bias");

    /** PEFT keys that do not change deltaW: kept verbatim without a warning. */
    private static final Set<String> KNOWN_PEFT_KEYS =
            Set.of(
                    "auto_mapping",
                    "revision",
                    "inference_mode",
                    "init_lora_weights",
                    "layer_replication",
                    "loftq_config",
                    "megatron_config",
                    "megatron_core",
                    "use_qalora",
                    "qalora_group_size",
                    "eva_config",
                    "corda_config",
                    "trainable_token_indices",
                    "runtime_config",
                    "target_parameters",
                    "alora_invocation_tokens",
                    "arrow_config",
                    "ensure_weight_tying",
                    "peft_version",
                    "lora_ga_config");

    private static final JsonMapper MAPPER =
            JsonMapper.builder()
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
                    .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
                    .build();

    /** Python's {@code json.dumps(indent=2)}: "key": value, two-space indent, {} and [] empty. */
    private static final DefaultPrettyPrinter PYTHON_STYLE;

    static {
        DefaultPrettyPrinter pp =
                new DefaultPrettyPrinter(
                        Separators.createDefaultInstance()
                                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                                .withObjectEmptySeparator("")
                                .withArrayEmptySeparator(""));
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        pp.indentObjectsWith(indenter);
        pp.indentArraysWith(indenter);
        PYTHON_STYLE = pp;
    }

    private AdapterConfigJson() {}

    static AdapterConfig parse(String json, Path file) {
        JsonNode root;
        try {
            root = StrictJson.read(MAPPER, json);
        } catch (JsonProcessingException e) {
            throw new AdapterFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new AdapterFormatException(file, "expected a JSON object at the top level");
        }
        Fields f = new Fields(file);
        AdapterConfigBuilder b = AdapterConfig.builder();
        b.presentKeys = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (MODELLED_KEYS.contains(key)) {
                b.presentKeys.add(key);
            }
            switch (key) {
                case "peft_type" -> {
                    String t = f.string(key, v);
                    if (!"LORA".equals(t)) {
                        throw new AdapterFormatException(
                                file,
                                "peft_type is \""
                                        + (t.length() <= 40 ? t : t.substring(0, 37) + "...")
                                        + "\"; only LoRA adapters (\"LORA\")"
                                        + " are supported");
                    }
                    b.peftType = t;
                }
                case "task_type" -> b.taskType = f.nullableString(key, v);
                case "base_model_name_or_path" -> b.baseModelNameOrPath = f.nullableString(key, v);
                case "r" -> b.r = f.positiveInt(key, v);
                case "lora_alpha" -> b.loraAlpha = f.number(key, v);
                case "lora_dropout" -> b.loraDropout = v.isNull() ? 0.0 : f.number(key, v);
                case "fan_in_fan_out" -> b.fanInFanOut = f.bool(key, v);
                case "bias" -> b.bias = f.bias(key, v);
                case "use_rslora" -> b.useRslora = f.bool(key, v);
                case "target_modules" -> b.targetModules = f.selector(key, v);
                case "exclude_modules" -> b.excludeModules = f.selector(key, v);
                case "modules_to_save" -> b.modulesToSave = v.isNull() ? null : f.strings(key, v);
                case "layers_to_transform" -> {
                    b.scalarLayersToTransform = v.isNumber();
                    b.layersToTransform = v.isNull() ? null : f.ints(key, v);
                }
                case "layers_pattern" -> {
                    b.scalarLayersPattern = v.isTextual();
                    b.layersPattern = v.isNull() ? null : f.strings(key, v);
                }
                case "rank_pattern" -> b.rankPattern = f.rankPattern(key, v);
                case "alpha_pattern" -> b.alphaPattern = f.alphaPattern(key, v);
                case "use_dora" -> b.useDora = f.bool(key, v);
                case "lora_bias" -> b.loraBias = f.bool(key, v);
                default -> {
                    b.extraJson.put(key, sortedCopy(v).toString());
                    if (!KNOWN_PEFT_KEYS.contains(key)) {
                        unknown.add(key);
                    }
                }
            }
        }
        if (!unknown.isEmpty()) {
            LOG.warn(
                    "{}: unknown adapter_config.json keys {} are kept and written back unchanged",
                    file,
                    unknown);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new AdapterFormatException(file, e.getMessage(), e);
        }
    }

    static String normalizeRaw(String key, String rawJson) {
        try {
            return sortedCopy(StrictJson.read(MAPPER, rawJson)).toString();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "extra key '" + key + "': not valid JSON: " + rawJson, e);
        }
    }

    static String write(AdapterConfig config) {
        AdapterConfigBuilder c = config.toBuilder();
        JsonNodeFactory nf = JsonNodeFactory.instance;
        TreeMap<String, JsonNode> out = new TreeMap<>();
        Set<String> present = c.presentKeys;
        out.put("peft_type", nf.textNode(c.peftType));
        put(out, present, "task_type", c.taskType != null, text(c.taskType));
        put(
                out,
                present,
                "base_model_name_or_path",
                c.baseModelNameOrPath != null,
                text(c.baseModelNameOrPath));
        put(out, present, "r", c.r != AdapterConfig.DEFAULT_R, nf.numberNode(c.r));
        put(
                out,
                present,
                "lora_alpha",
                c.loraAlpha != AdapterConfig.DEFAULT_ALPHA,
                number(c.loraAlpha));
        put(out, present, "lora_dropout", c.loraDropout != 0, nf.numberNode(c.loraDropout));
        put(out, present, "fan_in_fan_out", c.fanInFanOut, nf.booleanNode(c.fanInFanOut));
        put(out, present, "bias", c.bias != LoraBias.NONE, nf.textNode(c.bias.json()));
        put(out, present, "use_rslora", c.useRslora, nf.booleanNode(c.useRslora));
        put(out, present, "target_modules", c.targetModules != null, selector(c.targetModules));
        put(out, present, "exclude_modules", c.excludeModules != null, selector(c.excludeModules));
        put(out, present, "modules_to_save", c.modulesToSave != null, strings(c.modulesToSave));
        JsonNode layers =
                c.layersToTransform != null
                                && c.scalarLayersToTransform
                                && c.layersToTransform.size() == 1
                        ? nf.numberNode(c.layersToTransform.get(0))
                        : ints(c.layersToTransform);
        put(out, present, "layers_to_transform", c.layersToTransform != null, layers);
        JsonNode pattern =
                c.layersPattern != null && c.scalarLayersPattern && c.layersPattern.size() == 1
                        ? nf.textNode(c.layersPattern.get(0))
                        : strings(c.layersPattern);
        put(out, present, "layers_pattern", c.layersPattern != null, pattern);
        ObjectNode ranks = nf.objectNode();
        c.rankPattern.forEach((k, v) -> ranks.put(k, v));
        put(out, present, "rank_pattern", !c.rankPattern.isEmpty(), ranks);
        ObjectNode alphas = nf.objectNode();
        c.alphaPattern.forEach((k, v) -> alphas.set(k, number(v)));
        put(out, present, "alpha_pattern", !c.alphaPattern.isEmpty(), alphas);
        put(out, present, "use_dora", c.useDora, nf.booleanNode(c.useDora));
        put(out, present, "lora_bias", c.loraBias, nf.booleanNode(c.loraBias));
        for (Map.Entry<String, String> e : c.extraJson.entrySet()) {
            try {
                out.put(e.getKey(), StrictJson.read(MAPPER, e.getValue()));
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException("extra key '" + e.getKey() + "' lost its JSON", ex);
            }
        }
        ObjectNode root = nf.objectNode();
        out.forEach(root::set);
        try {
            return MAPPER.writer(PYTHON_STYLE).writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise adapter config", e);
        }
    }

    private static void put(
            Map<String, JsonNode> out, Set<String> present, String key, boolean set, JsonNode v) {
        if (set || present.contains(key)) {
            out.put(key, v);
        }
    }

    private static JsonNode text(@Nullable String s) {
        return s == null
                ? JsonNodeFactory.instance.nullNode()
                : JsonNodeFactory.instance.textNode(s);
    }

    /** Integral values as integers (Python writes {@code 16}, not {@code 16.0}, for an int). */
    private static JsonNode number(double v) {
        JsonNodeFactory nf = JsonNodeFactory.instance;
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            long l = (long) v;
            return l == (int) l ? nf.numberNode((int) l) : nf.numberNode(l);
        }
        return nf.numberNode(v);
    }

    private static JsonNode selector(@Nullable ModuleSelector s) {
        if (s == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        return s.kind() == ModuleSelector.Kind.NAMES
                ? strings(s.names())
                : JsonNodeFactory.instance.textNode(s.regexText());
    }

    private static JsonNode strings(@Nullable List<String> list) {
        if (list == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        list.forEach(a::add);
        return a;
    }

    private static JsonNode ints(@Nullable List<Integer> list) {
        if (list == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        list.forEach(a::add);
        return a;
    }

    /** Python's sort_keys applies to nested objects too. */
    private static JsonNode sortedCopy(JsonNode n) {
        if (n.isObject()) {
            TreeMap<String, JsonNode> sorted = new TreeMap<>();
            n.fields().forEachRemaining(e -> sorted.put(e.getKey(), sortedCopy(e.getValue())));
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            sorted.forEach(o::set);
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            n.forEach(x -> a.add(sortedCopy(x)));
            return a;
        }
        return n;
    }

    /** Typed field access with errors that name the file, key and offending value. */
    private record Fields(Path file) {
        private AdapterFormatException wrong(String key, String expected, JsonNode v) {
            return new AdapterFormatException(
                    file, "key '" + key + "' must be " + expected + ", got " + shorten(v));
        }

        /** A value's JSON text cut to 40 characters, so that a refusal stays one short line. */
        private static String shorten(JsonNode v) {
            String t = v.toString();
            return t.length() <= 40 ? t : t.substring(0, 37) + "...";
        }

        String string(String key, JsonNode v) {
            if (!v.isTextual()) {
                throw wrong(key, "a string", v);
            }
            return v.textValue();
        }

        @Nullable String nullableString(String key, JsonNode v) {
            return v.isNull() ? null : string(key, v);
        }

        boolean bool(String key, JsonNode v) {
            if (v.isNull()) {
                return false;
            }
            if (!v.isBoolean()) {
                throw wrong(key, "true or false", v);
            }
            return v.booleanValue();
        }

        double number(String key, JsonNode v) {
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                throw wrong(key, "a finite number", v);
            }
            return v.doubleValue();
        }

        int positiveInt(String key, JsonNode v) {
            if (!v.isNumber()
                    || v.doubleValue() != Math.rint(v.doubleValue())
                    || v.doubleValue() < 1
                    || v.doubleValue() > Integer.MAX_VALUE) {
                throw wrong(key, "a positive integer", v);
            }
            return (int) v.doubleValue();
        }

        LoraBias bias(String key, JsonNode v) {
            try {
                return v.isNull() ? LoraBias.NONE : LoraBias.fromJson(string(key, v));
            } catch (IllegalArgumentException e) {
                throw wrong(key, "one of \"none\", \"all\", \"lora_only\"", v);
            }
        }

        @Nullable ModuleSelector selector(String key, JsonNode v) {
            if (v.isNull()) {
                return null;
            }
            try {
                return v.isTextual()
                        ? ModuleSelector.regex(v.textValue())
                        : ModuleSelector.names(strings(key, v));
            } catch (IllegalArgumentException e) {
                throw new AdapterFormatException(file, "key '" + key + "': " + e.getMessage(), e);
            }
        }

        List<String> strings(String key, JsonNode v) {
            if (v.isTextual()) {
                return List.of(v.textValue());
            }
            if (!v.isArray()) {
                throw wrong(key, "a list of strings", v);
            }
            List<String> list = new ArrayList<>();
            for (JsonNode x : v) {
                list.add(string(key, x));
            }
            return list;
        }

        List<Integer> ints(String key, JsonNode v) {
            if (v.isNumber()) {
                return List.of(nonNegativeInt(key, v));
            }
            if (!v.isArray()) {
                throw wrong(key, "an integer or a list of integers", v);
            }
            List<Integer> list = new ArrayList<>();
            for (JsonNode x : v) {
                list.add(nonNegativeInt(key, x));
            }
            return list;
        }

        private int nonNegativeInt(String key, JsonNode v) {
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                throw wrong(key, "non-negative integers", v);
            }
            return v.intValue();
        }

        Map<String, Integer> rankPattern(String key, JsonNode v) {
            return pattern(key, v, "rank", this::positiveInt);
        }

        Map<String, Double> alphaPattern(String key, JsonNode v) {
            return pattern(key, v, "alpha", this::number);
        }

        /** An object of module pattern -> value (null: none), each value read by {@code read}. */
        private <T> Map<String, T> pattern(
                String key, JsonNode v, String what, BiFunction<String, JsonNode, T> read) {
            Map<String, T> m = new LinkedHashMap<>();
            if (v.isNull()) {
                return m;
            }
            if (!v.isObject()) {
                throw wrong(key, "an object of module pattern -> " + what, v);
            }
            v.fields()
                    .forEachRemaining(
                            e ->
                                    m.put(
                                            e.getKey(),
                                            read.apply(
                                                    key + "['" + e.getKey() + "']", e.getValue())));
            return m;
        }
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> all = new LinkedHashSet<>(base);
        all.addAll(List.of(more));
        return Set.copyOf(all);
    }
}
