package dev.lorahub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.io.StrictJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * How a LoraHub result was produced, enough to reproduce it: the composed modules and their hashes,
 * the examples' count, every setting, and the library version. Written as {@code provenance.json}
 * next to a saved adapter.
 *
 * @param modules the composed modules, in the order of the weights
 * @param poolSize the number of modules offered before selection
 * @param selection the selection in its CLI form ({@code all}, {@code random:20}, {@code
 *     lowest-loss:20})
 * @param baseModel the base model: the adapter config's {@code base_model_name_or_path} when the
 *     run loaded it; for a model given with {@code .on(model)}, its Hugging Face id when it was
 *     loaded from a cache snapshot, else its absolute path, else (a model not loaded from files)
 *     its model type
 * @param examples the number of few-shot examples
 * @param strategy the merge strategy's name
 * @param optimizer the optimizer's name
 * @param budget the maximum number of evaluations
 * @param seed the seed of selection and optimizer
 * @param lowerBound the lower bound of every weight
 * @param upperBound the upper bound of every weight
 * @param regularization the factor of {@code mean |w|} in the score
 * @param batchSize examples per forward batch, 0 for all in one batch
 * @param libraryVersion lorahub's version
 * @param created when the run finished
 * @param baseModelSource where the base model's files were and their SHA-256, when it was loaded
 *     from files by {@link dev.lorahub.model.ModelBackends#load(Path)}; {@link
 *     BaseModelSource#UNKNOWN} otherwise
 */
public record Provenance(
        List<ModuleRef> modules,
        int poolSize,
        String selection,
        String baseModel,
        int examples,
        String strategy,
        String optimizer,
        int budget,
        long seed,
        double lowerBound,
        double upperBound,
        double regularization,
        int batchSize,
        String libraryVersion,
        Instant created,
        BaseModelSource baseModelSource) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@link ModuleRef#hashed()} of a module loaded from a folder: its file was hashed. */
    public static final String FILE_HASH = "adapter_model.safetensors";

    /**
     * {@link ModuleRef#hashed()} of a module made in memory: its layers were hashed (path, rank,
     * in, out as little-endian int32, scaling as float64, fan_in_fan_out as int32, then A and B as
     * little-endian float32, layer by layer).
     */
    public static final String CONTENT_HASH = "tensors";

    /**
     * A composed module.
     *
     * @param name its name
     * @param sha256 the lower-case hex SHA-256
     * @param hashed what was hashed: {@link #FILE_HASH} or {@link #CONTENT_HASH}
     */
    public record ModuleRef(String name, String sha256, String hashed) {
        /** Checks for nulls. */
        public ModuleRef {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(hashed, "hashed");
        }
    }

    /**
     * One file of the base model.
     *
     * @param file its name, relative to the model folder (the file name for a single-file model)
     * @param sha256 the lower-case hex SHA-256 of its bytes
     */
    public record FileRef(String file, String sha256) {
        /** Checks for nulls. */
        public FileRef {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(sha256, "sha256");
        }
    }

    /**
     * Where the base model came from.
     *
     * @param path the absolute folder or file it was loaded from; null when unknown
     * @param hubId the Hugging Face repo id when {@code path} is a cache snapshot ({@code
     *     .../models--org--name/snapshots/<commit>}); null otherwise
     * @param revision the snapshot's commit, with {@code hubId}; null otherwise
     * @param files the model's files at the top of its folder that hold weights ({@code
     *     *.safetensors}, {@code pytorch_model*.bin}, {@code *.gguf} and their index files), config
     *     ({@code config.json}, {@code generation_config.json}, {@code lorahub.json}) and tokenizer
     *     ({@code tokenizer.json}, {@code tokenizer_config.json}, {@code tokenizer.model}, {@code
     *     spiece.model}, {@code special_tokens_map.json}, {@code vocab.json}, {@code merges.txt},
     *     {@code added_tokens.json}), by name, with their SHA-256; the file itself for a
     *     single-file model
     */
    public record BaseModelSource(
            @Nullable String path,
            @Nullable String hubId,
            @Nullable String revision,
            List<FileRef> files) {
        /** A model not loaded from files: nothing recorded. */
        public static final BaseModelSource UNKNOWN =
                new BaseModelSource(null, null, null, List.of());

        /** Copies. */
        public BaseModelSource {
            files = List.copyOf(files);
        }
    }

    /** Copies and checks for nulls. */
    public Provenance {
        modules = List.copyOf(modules);
        Objects.requireNonNull(selection, "selection");
        Objects.requireNonNull(baseModel, "baseModel");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(libraryVersion, "libraryVersion");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(baseModelSource, "baseModelSource");
    }

    /**
     * @return lorahub's version, from the build-filtered resource {@code
     *     dev/lorahub/version.properties}, or {@code unknown} when run from unfiltered sources
     */
    public static String currentLibraryVersion() {
        try (InputStream in = Provenance.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dev/lorahub/version.properties", e);
        }
    }

    /**
     * @return this provenance as pretty-printed JSON with snake_case keys
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("library", "lorahub");
        root.put("library_version", libraryVersion);
        root.put("created", created.toString());
        root.put("base_model", baseModel);
        if (!baseModelSource.equals(BaseModelSource.UNKNOWN)) {
            ObjectNode src = root.putObject("base_model_source");
            putIfSet(src, "path", baseModelSource.path());
            putIfSet(src, "hub_id", baseModelSource.hubId());
            putIfSet(src, "revision", baseModelSource.revision());
            ArrayNode files = src.putArray("files");
            for (FileRef f : baseModelSource.files()) {
                files.addObject().put("file", f.file()).put("sha256", f.sha256());
            }
        }
        root.put("strategy", strategy);
        root.put("optimizer", optimizer);
        root.put("budget", budget);
        root.put("seed", seed);
        root.put("lower_bound", lowerBound);
        root.put("upper_bound", upperBound);
        root.put("regularization", regularization);
        root.put("batch_size", batchSize);
        root.put("examples", examples);
        root.put("pool_size", poolSize);
        root.put("selection", selection);
        ArrayNode mods = root.putArray("modules");
        for (ModuleRef m : modules) {
            mods.addObject()
                    .put("name", m.name())
                    .put("sha256", m.sha256())
                    .put("hashed", m.hashed());
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putIfSet(ObjectNode node, String key, @Nullable String value) {
        if (value != null) {
            node.put(key, value);
        }
    }

    /**
     * Parses what {@link #toJson()} wrote.
     *
     * @param json the text
     * @return the provenance
     * @throws IllegalArgumentException naming the key when a field is missing or malformed
     */
    public static Provenance fromJson(String json) {
        JsonNode root;
        try {
            root = StrictJson.read(JSON, json);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "provenance is not JSON: "
                            + (e instanceof JsonProcessingException j
                                    ? j.getOriginalMessage()
                                    : e.getMessage()),
                    e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("provenance is not a JSON object");
        }
        JsonNode modules = field(root, "modules");
        if (!modules.isArray()) {
            throw malformed("modules", "a list", modules);
        }
        List<ModuleRef> mods = new ArrayList<>();
        for (JsonNode m : modules) {
            mods.add(new ModuleRef(text(m, "name"), text(m, "sha256"), text(m, "hashed")));
        }
        Instant created;
        try {
            created = Instant.parse(text(root, "created"));
        } catch (DateTimeParseException e) {
            throw malformed("created", "an ISO-8601 instant", root.get("created"));
        }
        return new Provenance(
                mods,
                integer(root, "pool_size"),
                text(root, "selection"),
                text(root, "base_model"),
                integer(root, "examples"),
                text(root, "strategy"),
                text(root, "optimizer"),
                integer(root, "budget"),
                longInteger(root, "seed"),
                number(root, "lower_bound"),
                number(root, "upper_bound"),
                number(root, "regularization"),
                integer(root, "batch_size"),
                text(root, "library_version"),
                created,
                source(root.get("base_model_source")));
    }

    /** The optional {@code base_model_source} object (absent in files written before it). */
    private static BaseModelSource source(@Nullable JsonNode src) {
        if (src == null || src.isNull()) {
            return BaseModelSource.UNKNOWN;
        }
        if (!src.isObject()) {
            throw malformed("base_model_source", "an object", src);
        }
        JsonNode files = field(src, "files");
        if (!files.isArray()) {
            throw malformed("base_model_source.files", "a list", files);
        }
        List<FileRef> refs = new ArrayList<>();
        for (JsonNode f : files) {
            refs.add(new FileRef(text(f, "file"), text(f, "sha256")));
        }
        return new BaseModelSource(
                optionalText(src, "path"),
                optionalText(src, "hub_id"),
                optionalText(src, "revision"),
                refs);
    }

    private static @Nullable String optionalText(JsonNode node, String key) {
        return node.hasNonNull(key) ? text(node, key) : null;
    }

    private static IllegalArgumentException malformed(String key, String expected, JsonNode v) {
        return new IllegalArgumentException(
                "provenance key '" + key + "' must be " + expected + ", got " + v);
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = field(node, key);
        if (!v.isTextual()) {
            throw malformed(key, "a string", v);
        }
        return v.textValue();
    }

    private static int integer(JsonNode node, String key) {
        JsonNode v = field(node, key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw malformed(key, "an int", v);
        }
        return v.intValue();
    }

    private static long longInteger(JsonNode node, String key) {
        JsonNode v = field(node, key);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw malformed(key, "a long integer", v);
        }
        return v.longValue();
    }

    private static double number(JsonNode node, String key) {
        JsonNode v = field(node, key);
        if (!v.isNumber()) {
            throw malformed(key, "a number", v);
        }
        return v.doubleValue();
    }

    private static JsonNode field(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("provenance lacks '" + key + "'");
        }
        return v;
    }

    /**
     * Writes {@link #toJson()} to a file through a temporary file moved into place.
     *
     * @param file the target, e.g. {@code out/provenance.json}
     * @throws IOException if writing fails
     */
    public void writeJson(Path file) throws IOException {
        JsonFiles.writeAtomically(file, toJson());
    }
}
