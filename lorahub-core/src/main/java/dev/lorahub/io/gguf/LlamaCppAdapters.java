package dev.lorahub.io.gguf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.LoraLayer;
import dev.lorahub.io.StrictJson;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.AdapterFormatException;
import dev.lorahub.io.FileFormatException;
import dev.lorahub.io.FileHash;
import dev.lorahub.io.PeftAdapters;
import dev.lorahub.io.StoredDtypes;
import dev.lorahub.io.WeightsFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * llama.cpp LoRA adapters: GGUF files with {@code general.type = "adapter"}, as llama.cpp's {@code
 * llama_adapter_lora_init} reads them and its {@code convert_lora_to_gguf.py} writes them.
 *
 * <p>Layout: strings {@code general.architecture = "llama"}, {@code general.type = "adapter"},
 * {@code adapter.type = "lora"}, f32 {@code adapter.lora.alpha} (llama.cpp aborts on any other
 * type); per adapted weight {@code W} (llama.cpp's name, e.g. {@code blk.0.attn_q.weight}) the
 * tensors {@code W.lora_a} (ne {@code [in, r]}, PEFT's {@code lora_A} [r, in]) and {@code
 * W.lora_b} (ne {@code [r, out]}, PEFT's {@code lora_B} [out, r]); llama.cpp computes {@code y = W
 * x + (alpha / r) * B (A x)} ({@code alpha} 0 or absent: scale 1). The rows of {@code lora_b} on
 * {@code attn_q}/{@code attn_k} are in llama.cpp's RoPE order, permuted within heads of size {@code
 * D} as the base weight is ({@link LlamaCppNames}); a {@link dev.lorahub.LoraModule} holds them in
 * Hugging Face's order, so reading and writing permute them, which needs {@code D}: it is given, or
 * read from {@code llama.rope.dimension_count}, which this writer adds (llama.cpp ignores it).
 *
 * <p>The writer also stores the module's PEFT config as a string under {@value #CONFIG_KEY}, so
 * that PEFT -> GGUF -> PEFT gives back the same {@code adapter_config.json}, and writes factors as
 * F32. A module whose layers do not share one {@code scaling * rank} (rsLoRA, {@code
 * alpha_pattern}) gets {@code alpha = scaling * rank} of its first layer and the rest folded into
 * {@code lora_b} (then float32-rounded, and the config is not stored). Refused when writing: DoRA,
 * LoRA biases, {@code modules_to_save}, {@code fan_in_fan_out}, modules llama.cpp has no name for.
 *
 * <p>Stateless and thread-safe.
 */
public final class LlamaCppAdapters {
    /** The metadata key holding the module's adapter_config.json (written by lorahub only). */
    public static final String CONFIG_KEY = "lorahub.adapter_config";

    /** The metadata key giving the RoPE head size {@code D}, as in llama.cpp's model files. */
    public static final String HEAD_DIM_KEY = "llama.rope.dimension_count";

    private static final String A = ".lora_a";
    private static final String B = ".lora_b";

    private LlamaCppAdapters() {}

    /**
     * @param file a file
     * @return true if it is a GGUF file whose {@code general.type} is {@code "adapter"}
     * @throws IOException if it cannot be read
     */
    public static boolean isAdapter(Path file) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) < 4) {
            return false;
        }
        byte[] magic = new byte[4];
        try (var in = Files.newInputStream(file)) {
            if (in.readNBytes(magic, 0, 4) < 4 || !"GGUF".equals(new String(magic, StandardCharsets.US_ASCII))) {
                return false;
            }
        }
        return "adapter".equals(GgufFile.open(file).metadata().get("general.type"));
    }

    /**
     * Reads an adapter whose file gives its head size ({@value #HEAD_DIM_KEY}), or that adapts
     * neither {@code attn_q} nor {@code attn_k}.
     *
     * @param file a {@code .gguf} adapter
     * @return its config and layers (module paths in Hugging Face's names, q/k rows in its order)
     * @throws AdapterFormatException if it is not a llama.cpp LoRA adapter, is inconsistent, or
     *     adapts q/k without giving the head size (then use {@link #read(Path, int)} or {@link
     *     #read(Path, Path)})
     * @throws IOException if it cannot be read
     */
    public static PeftAdapters.Contents read(Path file) throws IOException {
        return read(file, 0, null);
    }

    /**
     * @param file a {@code .gguf} adapter
     * @param headDim the base model's head size {@code D} ({@code head_dim}, else {@code
     *     hidden_size / num_attention_heads}), even and at least 2
     * @return its config and layers (module paths in Hugging Face's names, q/k rows in its order)
     * @throws AdapterFormatException if it is not a llama.cpp LoRA adapter or is inconsistent
     *     (also: the file gives another head size); the message names the file, the key or tensor
     *     and the values
     * @throws IllegalArgumentException if {@code headDim} is odd or below 2
     * @throws IOException if it cannot be read
     */
    public static PeftAdapters.Contents read(Path file, int headDim) throws IOException {
        if (headDim < 2 || headDim % 2 != 0) {
            throw new IllegalArgumentException(
                    "head size must be even and >= 2, got " + headDim + " (for " + file + ")");
        }
        return read(file, headDim, null);
    }

    /**
     * Reads an adapter for a known base model, whose head size orders the q/k rows ({@link
     * #headDimOf}: {@code config.json} or a GGUF model's metadata).
     *
     * @param file a {@code .gguf} adapter
     * @param baseModel the base model: a Hugging Face folder or a {@code .gguf} model
     * @return its config and layers (module paths in Hugging Face's names, q/k rows in its order)
     * @throws AdapterFormatException if it is not a llama.cpp LoRA adapter or is inconsistent,
     *     adapts q/k while neither the base model nor the file gives a head size, or the two give
     *     different ones
     * @throws IOException if a file cannot be read
     */
    public static PeftAdapters.Contents read(Path file, Path baseModel) throws IOException {
        return read(file, headDimOf(baseModel).orElse(0), baseModel);
    }

    /**
     * Reads an adapter leaving the q/k {@code lora_b} rows in the file's order (llama.cpp's, within
     * heads), so no head size is needed: ranks, shapes, alpha and targets are the adapter's, but
     * the q/k deltas are not in Hugging Face's row order. For tools that describe a file ({@code
     * lorahub inspect}); never apply the result to a model.
     *
     * @param file a {@code .gguf} adapter
     * @return its config and layers, q/k rows as stored
     * @throws AdapterFormatException if it is not a llama.cpp LoRA adapter or is inconsistent
     * @throws IOException if it cannot be read
     */
    public static PeftAdapters.Contents readRowsAsStored(Path file) throws IOException {
        return read(file, 0, null, true);
    }

    private static PeftAdapters.Contents read(Path file, int headDim, @Nullable Path baseModel)
            throws IOException {
        return read(file, headDim, baseModel, false);
    }

    private static PeftAdapters.Contents read(
            Path file, int headDim, @Nullable Path baseModel, boolean rowsAsStored)
            throws IOException {
        GgufFile g = GgufFile.open(file);
        requireString(g, "general.type", "adapter");
        requireString(g, "adapter.type", "lora");
        requireString(g, "general.architecture", "llama");
        double alpha = 0;
        Optional<GgufValueType> alphaType = g.valueType("adapter.lora.alpha");
        if (alphaType.isPresent()) {
            if (alphaType.get() != GgufValueType.FLOAT32) {
                throw new AdapterFormatException(
                        file,
                        "adapter.lora.alpha is of type "
                                + alphaType.get()
                                + ", llama.cpp requires FLOAT32 (it aborts otherwise)");
            }
            alpha = ((Number) g.metadata().get("adapter.lora.alpha")).doubleValue();
            if (!Double.isFinite(alpha)) {
                throw new AdapterFormatException(file, "adapter.lora.alpha is " + alpha);
            }
        }
        int inFile = fileHeadDim(g);
        if (headDim > 0 && inFile > 0 && headDim != inFile) {
            throw new AdapterFormatException(
                    file,
                    HEAD_DIM_KEY
                            + " is "
                            + inFile
                            + ", but "
                            + (baseModel != null ? "the base model " + baseModel + " has" : "given was")
                            + " head size "
                            + headDim
                            + ": the adapter is for another model");
        }
        HeadSize d = new HeadSize(headDim > 0 ? headDim : inFile, baseModel, rowsAsStored);
        Map<String, GgufTensor[]> pairs = new LinkedHashMap<>();
        for (GgufTensor t : g.tensors().values()) {
            String name = t.name();
            int half = name.endsWith(A) ? 0 : name.endsWith(B) ? 1 : -1;
            if (half < 0) {
                if (name.endsWith("_norm.weight")) {
                    continue; // llama.cpp skips norm vectors too
                }
                throw new AdapterFormatException(
                        file,
                        "tensor '" + name + "' ends in neither .lora_a nor .lora_b (llama.cpp"
                                + " refuses it too)");
            }
            String base = name.substring(0, name.length() - A.length());
            pairs.computeIfAbsent(base, k -> new GgufTensor[2])[half] = t;
        }
        List<LoraLayer> layers = new ArrayList<>();
        Map<String, StoredDtypes> dtypes = new LinkedHashMap<>();
        for (Map.Entry<String, GgufTensor[]> e : pairs.entrySet()) {
            layers.add(layer(g, e.getKey(), e.getValue(), alpha, d));
            dtypes.put(layers.get(layers.size() - 1).modulePath(), StoredDtypes.F32);
        }
        if (layers.isEmpty()) {
            throw new AdapterFormatException(file, "no .lora_a/.lora_b tensors");
        }
        AdapterConfig config = config(g, layers, alpha);
        return new PeftAdapters.Contents(
                config, layers, dtypes, FileHash.snapshot(file), WeightsFormat.GGUF);
    }

    private static LoraLayer layer(
            GgufFile g, String base, GgufTensor[] ab, double alpha, HeadSize headDim)
            throws IOException {
        Path file = g.file();
        for (int i = 0; i < 2; i++) {
            if (ab[i] == null) {
                throw new AdapterFormatException(
                        file,
                        "'" + base + (i == 0 ? A : B) + "' is missing for '" + base + (i == 0 ? B : A)
                                + "'");
            }
        }
        if (!base.endsWith(".weight")) {
            throw new AdapterFormatException(
                    file, "'" + ab[0].name() + "' does not adapt a '.weight' tensor");
        }
        String ggufModule = base.substring(0, base.length() - ".weight".length());
        if (ggufModule.equals("token_embd")) {
            throw new AdapterFormatException(
                    file, "'" + ab[0].name() + "': LoRA on token_embd is not supported");
        }
        String module =
                LlamaCppNames.toHf(ggufModule)
                        .orElseThrow(
                                () ->
                                        new AdapterFormatException(
                                                file,
                                                "'"
                                                        + ab[0].name()
                                                        + "' adapts '"
                                                        + base
                                                        + "', which is not a LLaMA weight"));
        long[] a = ab[0].ne();
        long[] b = ab[1].ne();
        if (a.length != 2 || b.length != 2 || a[1] != b[0] || a[1] < 1) {
            throw new AdapterFormatException(
                    file,
                    "'"
                            + base
                            + "': lora_a ne "
                            + Arrays.toString(a)
                            + " and lora_b ne "
                            + Arrays.toString(b)
                            + " do not make a pair (expected [in, r] and [r, out])");
        }
        int rank = Math.toIntExact(a[1]);
        int in = Math.toIntExact(a[0]);
        int out = Math.toIntExact(b[1]);
        float[] loraA = g.readFloats(ab[0].name());
        float[] loraB = g.readFloats(ab[1].name());
        if (LlamaCppNames.isRopePermuted(module) && !headDim.rowsAsStored()) {
            int d = headDim.require(file, ab[1].name());
            if (out % d != 0 || d % 2 != 0) {
                throw new AdapterFormatException(
                        file,
                        "'"
                                + ab[1].name()
                                + "' has "
                                + out
                                + " rows, not whole heads of even size "
                                + d
                                + headDim.source());
            }
            loraB = LlamaCppNames.toHfRows(loraB, out, rank, d);
        }
        double scaling = alpha != 0 ? alpha / rank : 1.0;
        return new LoraLayer(module, rank, in, out, loraA, loraB, scaling, false);
    }

    /** The head size q/k rows are ordered by (0: unknown), and the base model it came from. */
    private record HeadSize(int value, @Nullable Path base, boolean rowsAsStored) {
        int require(Path file, String tensor) {
            if (value > 0) {
                return value;
            }
            String why =
                    base != null
                            ? "neither the file ("
                                    + HEAD_DIM_KEY
                                    + ") nor the base model "
                                    + base
                                    + " (config.json head_dim or hidden_size and"
                                    + " num_attention_heads; GGUF llama.attention.head_count)"
                                    + " gives it: give it (LoraModule.load(adapter, headDim),"
                                    + " --head-dim)"
                            : "the file gives none ("
                                    + HEAD_DIM_KEY
                                    + " absent) and no base model was given: give the base model"
                                    + " (LoraModule.load(adapter, baseModel), --model) or its head"
                                    + " size (LoraModule.load(adapter, headDim), --head-dim)";
            throw new AdapterFormatException(
                    file,
                    "'"
                            + tensor
                            + "' holds q/k rows in llama.cpp's order within attention heads, which"
                            + " needs the base model's head size: "
                            + why);
        }

        String source() {
            return base != null ? " (from the base model " + base + ")" : "";
        }
    }

    private static AdapterConfig config(GgufFile g, List<LoraLayer> layers, double alpha) {
        Path file = g.file();
        Object stored = g.metadata().get(CONFIG_KEY);
        if (stored instanceof String json) {
            AdapterConfig c = AdapterConfig.fromJson(json, file);
            for (LoraLayer l : layers) {
                if (c.rankFor(l.modulePath()) != l.rank()
                        || c.scalingFor(l.modulePath()) != l.scaling()) {
                    throw new AdapterFormatException(
                            file,
                            CONFIG_KEY
                                    + " gives '"
                                    + l.modulePath()
                                    + "' rank "
                                    + c.rankFor(l.modulePath())
                                    + " and scaling "
                                    + c.scalingFor(l.modulePath())
                                    + ", the tensors and adapter.lora.alpha give "
                                    + l.rank()
                                    + " and "
                                    + l.scaling());
                }
            }
            return c;
        }
        int r = layers.get(0).rank();
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        Set<String> targets = new LinkedHashSet<>();
        for (LoraLayer l : layers) {
            String p = l.modulePath();
            targets.add(p.substring(p.lastIndexOf('.') + 1));
            if (l.rank() != r) {
                rankPattern.put(p, l.rank());
                if (alpha == 0) {
                    alphaPattern.put(p, (double) l.rank());
                }
            }
        }
        // general.name is the adapter's own name (convert_lora_to_gguf.py): the base is unknown
        return AdapterConfig.builder()
                .r(r)
                .loraAlpha(alpha != 0 ? alpha : r)
                .targetModules(dev.lorahub.io.ModuleSelector.names(List.copyOf(targets)))
                .rankPattern(rankPattern)
                .alphaPattern(alphaPattern)
                .build();
    }

    /**
     * Writes a module as a llama.cpp LoRA adapter, atomically (temp file, then move).
     *
     * @param file the target {@code .gguf} file
     * @param config the module's config (stored under {@value #CONFIG_KEY})
     * @param layers its layers, on LLaMA module paths ({@code model.layers.N.self_attn.q_proj}, ...)
     * @param headDim the base model's head size, needed when a layer adapts q_proj or k_proj (0
     *     otherwise); written as {@value #HEAD_DIM_KEY}
     * @param name written as {@code general.name}
     * @throws IllegalArgumentException if a layer or the config cannot be expressed (see class doc)
     * @throws IOException if writing fails (no partial file is left)
     */
    public static void write(
            Path file, AdapterConfig config, Collection<LoraLayer> layers, int headDim, String name)
            throws IOException {
        if (Files.isDirectory(file)) {
            throw new java.nio.file.FileAlreadyExistsException(
                    file.toString(), null, "is a folder; a llama.cpp adapter is one .gguf file");
        }
        writer(config, layers, headDim, name).write(file);
    }

    /**
     * The bytes {@link #write} writes, to be written by the caller (e.g. into a folder replaced
     * atomically as a whole).
     *
     * @param config the module's config
     * @param layers its layers, on LLaMA module paths
     * @param headDim the base model's head size, or 0 when no layer adapts q_proj or k_proj
     * @param name written as {@code general.name}
     * @return the {@code .gguf} file's content
     * @throws IllegalArgumentException if a layer or the config cannot be expressed
     */
    public static byte[] toBytes(
            AdapterConfig config, Collection<LoraLayer> layers, int headDim, String name) {
        return writer(config, layers, headDim, name).toBytes();
    }

    static GgufWriter writer(
            AdapterConfig config, Collection<LoraLayer> layers, int headDim, String name) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("module '" + name + "' has no layers");
        }
        if (config.useDora() || config.loraBias() || !config.modulesToSave().isEmpty()) {
            throw new IllegalArgumentException(
                    "module '"
                            + name
                            + "': llama.cpp adapters hold plain LoRA only (use_dora "
                            + config.useDora()
                            + ", lora_bias "
                            + config.loraBias()
                            + ", modules_to_save "
                            + config.modulesToSave()
                            + ")");
        }
        LoraLayer first = layers.iterator().next();
        double alpha = (float) (first.scaling() * first.rank());
        boolean folded = false;
        for (LoraLayer l : layers) {
            if (alpha / l.rank() != l.scaling()) {
                folded = true;
            }
        }
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValueType.STRING, "llama");
        w.put("general.type", GgufValueType.STRING, "adapter");
        w.put("general.name", GgufValueType.STRING, name);
        w.put("adapter.type", GgufValueType.STRING, "lora");
        w.put("adapter.lora.alpha", GgufValueType.FLOAT32, alpha);
        w.put("general.quantization_version", GgufValueType.UINT32, 2L);
        if (headDim > 0) {
            w.put(HEAD_DIM_KEY, GgufValueType.UINT32, (long) headDim);
        }
        if (!folded) {
            w.put(CONFIG_KEY, GgufValueType.STRING, config.toJson());
        }
        for (LoraLayer l : layers) {
            String module = l.modulePath();
            if (l.fanInFanOut()) {
                throw new IllegalArgumentException(
                        "module '" + name + "': layer '" + module + "' is fan_in_fan_out");
            }
            String base =
                    LlamaCppNames.toGguf(module)
                                    .orElseThrow(
                                            () ->
                                                    new IllegalArgumentException(
                                                            "module '"
                                                                    + name
                                                                    + "': layer '"
                                                                    + module
                                                                    + "' has no llama.cpp name"))
                            + ".weight";
            if (base.startsWith("token_embd")) {
                throw new IllegalArgumentException(
                        "module '" + name + "': LoRA on the embedding is not supported");
            }
            float[] b = l.loraB();
            if (folded) {
                float f = (float) (l.scaling() / (alpha / l.rank()));
                for (int i = 0; i < b.length; i++) {
                    b[i] *= f;
                }
            }
            if (LlamaCppNames.isRopePermuted(module)) {
                if (headDim <= 0) {
                    throw new IllegalArgumentException(
                            "module '"
                                    + name
                                    + "': layer '"
                                    + module
                                    + "' needs the base model's head size to be written for"
                                    + " llama.cpp (its rows are permuted within heads)");
                }
                b = LlamaCppNames.toGgufRows(b, l.outFeatures(), l.rank(), headDim);
            }
            w.tensorF32(base + A, new long[] {l.inFeatures(), l.rank()}, l.loraA());
            w.tensorF32(base + B, new long[] {l.rank(), l.outFeatures()}, b);
        }
        return w;
    }

    /**
     * The head size {@code D} of a LLaMA-family base model: the {@code D} by which llama.cpp's
     * converter permutes q/k rows ({@code LlamaModel.permute(w, n_head, n_kv_head)} reshapes the
     * {@code n_head * D} rows of q_proj into {@code n_head} heads and the {@code n_kv_head * D}
     * rows of k_proj into {@code n_kv_head} heads, so both use the same {@code D}, with
     * grouped-query attention too).
     *
     * @param model a Hugging Face folder ({@code config.json}: {@code head_dim}, else {@code
     *     hidden_size / num_attention_heads}) or a {@code .gguf} model ({@code
     *     ARCH.attention.key_length}, else {@code ARCH.embedding_length /
     *     ARCH.attention.head_count}, else {@value #HEAD_DIM_KEY}, as llama.cpp's loader defaults
     *     {@code n_embd_head_k})
     * @return D, or empty if the model does not say
     * @throws IOException if a file cannot be read
     * @throws FileFormatException naming {@code config.json} if it is not one JSON value
     */
    public static OptionalInt headDimOf(Path model) throws IOException {
        if (Files.isDirectory(model)) {
            Path cfg = model.resolve("config.json");
            if (!Files.isRegularFile(cfg)) {
                return OptionalInt.empty();
            }
            JsonNode n;
            try {
                n = StrictJson.read(new ObjectMapper(), cfg);
            } catch (JsonProcessingException e) {
                throw new FileFormatException(cfg, "not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (n.path("head_dim").canConvertToInt() && n.path("head_dim").asInt() > 0) {
                return OptionalInt.of(n.path("head_dim").asInt());
            }
            int hidden = n.path("hidden_size").asInt(0);
            int heads = n.path("num_attention_heads").asInt(0);
            return heads > 0 && hidden % heads == 0
                    ? OptionalInt.of(hidden / heads)
                    : OptionalInt.empty();
        }
        if (!Files.isRegularFile(model)) {
            return OptionalInt.empty();
        }
        GgufFile g = GgufFile.open(model);
        Map<String, Object> m = g.metadata();
        String arch = m.get("general.architecture") instanceof String a ? a : "llama";
        if (m.get(arch + ".attention.key_length") instanceof Long k && k > 0 && k <= 1 << 16) {
            return OptionalInt.of(Math.toIntExact(k));
        }
        if (m.get(arch + ".embedding_length") instanceof Long hidden
                && m.get(arch + ".attention.head_count") instanceof Long heads
                && heads > 0
                && hidden % heads == 0) {
            return OptionalInt.of(Math.toIntExact(hidden / heads));
        }
        int d = fileHeadDim(g);
        return d > 0 ? OptionalInt.of(d) : OptionalInt.empty();
    }

    private static int fileHeadDim(GgufFile g) {
        Object v = g.metadata().get(HEAD_DIM_KEY);
        if (v == null) {
            return 0;
        }
        if (!(v instanceof Long d) || d < 2 || d > 1 << 16) {
            throw new AdapterFormatException(g.file(), HEAD_DIM_KEY + " is " + v + ", not a head size");
        }
        return Math.toIntExact(d);
    }

    private static void requireString(GgufFile g, String key, String expected) {
        Object v = g.metadata().get(key);
        if (!expected.equals(v)) {
            throw new AdapterFormatException(
                    g.file(),
                    key
                            + " is "
                            + (v == null ? "absent" : "'" + v + "'")
                            + ", a llama.cpp LoRA adapter has '"
                            + expected
                            + "'");
        }
    }
}
