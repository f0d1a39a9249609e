package dev.lorahub;

import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.AdapterFormatException;
import dev.lorahub.io.FileHash;
import dev.lorahub.io.HfCache;
import dev.lorahub.io.PeftAdapters;
import dev.lorahub.io.StoredDtypes;
import dev.lorahub.io.gguf.LlamaCppAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A named LoRA adapter in memory: its PEFT config and the low-rank factors of every targeted layer
 * ({@code deltaW = scaling * B @ A} per layer, see {@link LoraLayer}).
 *
 * <p>A module loaded from a PEFT folder also remembers the SHA-256 of its adapter_model.safetensors
 * ({@link #sha256()}, computed on first use), the element type each factor was stored in (F16 and
 * BF16 adapters are written back in their own type, bit for bit) and the folder it came from, which
 * {@link #save(Path)} refuses to overwrite. Merge results ({@link Composer}) remember the folders
 * of all their inputs.
 *
 * <p>Immutable; layers are shared, never copied, between a module and its {@code with...} copies.
 */
public final class LoraModule {
    private final String name;
    private final AdapterConfig config;
    private final Map<String, LoraLayer> layers;
    private final Map<String, StoredDtypes> dtypes;
    private final @Nullable FileHash weightsHash;
    private final Set<Path> sources;

    private static final LoraModule NONE =
            new LoraModule("base", new AdapterConfig("none", 1, 1, List.of()), List.of());

    /**
     * The module without layers, named {@code base}: applied to a model it changes nothing, so
     * {@code model.loss(LoraModule.none(), batch)} is the base model's own loss. {@link
     * dev.lorahub.model.BaseModel#loss(dev.lorahub.spi.EncodedBatch)} and its siblings use it.
     *
     * @return the shared empty module (immutable)
     */
    public static LoraModule none() {
        return NONE;
    }

    /**
     * A module made in memory: float32 storage, no hash, no source folder.
     *
     * @param name the module's name (folder name when loaded)
     * @param config its adapter config
     * @param layers its layers; module paths must be distinct
     */
    public LoraModule(String name, AdapterConfig config, List<LoraLayer> layers) {
        this(name, config, layers, Map.of(), null, Set.of());
    }

    LoraModule(
            String name,
            AdapterConfig config,
            List<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes,
            @Nullable FileHash weightsHash,
            Set<Path> sources) {
        this.name = Objects.requireNonNull(name, "name");
        this.config = Objects.requireNonNull(config, "config");
        Map<String, LoraLayer> map = new LinkedHashMap<>();
        for (LoraLayer l : layers) {
            if (map.put(l.modulePath(), l) != null) {
                throw new IllegalArgumentException(
                        "module '" + name + "': layer '" + l.modulePath() + "' given twice");
            }
        }
        for (String path : dtypes.keySet()) {
            if (!map.containsKey(path)) {
                throw new IllegalArgumentException(
                        "module '"
                                + name
                                + "': stored dtypes given for '"
                                + path
                                + "', which is not one of its layers");
            }
        }
        this.layers = Collections.unmodifiableMap(map);
        this.dtypes = Map.copyOf(dtypes);
        this.weightsHash = weightsHash;
        this.sources = Collections.unmodifiableSet(new LinkedHashSet<>(sources));
    }

    /**
     * @return the module's name
     */
    public String name() {
        return name;
    }

    /**
     * @return the adapter config
     */
    public AdapterConfig config() {
        return config;
    }

    /**
     * @return layers by module path, in file order
     */
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
     * The SHA-256 of the adapter_model.safetensors this module was loaded from. Loading does not
     * hash (it would double its cost); the first call reads the file and caches the result, shared
     * with {@link #withName} copies.
     *
     * @return lower-case hex SHA-256 of the weights file; empty for modules made in memory or by a
     *     merge
     * @throws IllegalStateException if the file was changed, replaced or deleted since it was
     *     loaded and the hash not yet computed (the message names the file, its size and
     *     modification time then and now; see {@link FileHash})
     * @throws java.io.UncheckedIOException if the file can no longer be read
     */
    public Optional<String> sha256() {
        return weightsHash == null ? Optional.empty() : Optional.of(weightsHash.sha256());
    }

    /**
     * @param modulePath one of {@link #layers()}' keys
     * @return the element types its factors were stored in ({@link StoredDtypes#F32} for layers
     *     made in memory); {@link #save(Path)} writes them in these types
     */
    public StoredDtypes storedDtypes(String modulePath) {
        return dtypes.getOrDefault(modulePath, StoredDtypes.F32);
    }

    /**
     * @return stored element types of the layers not in float32, by module path
     */
    public Map<String, StoredDtypes> storedDtypes() {
        return dtypes;
    }

    /**
     * @return the folders this module's data came from (its own folder when loaded, its inputs'
     *     folders when merged); {@link #save(Path)} never writes into one of them
     */
    public Set<Path> sourceFolders() {
        return sources;
    }

    /**
     * @param newName another name
     * @return the same module under that name (layers shared)
     */
    public LoraModule withName(String newName) {
        return new LoraModule(
                newName, config, List.copyOf(layers.values()), dtypes, weightsHash, sources);
    }

    /**
     * @param newDtypes the element types to store each named layer's factors in on {@link
     *     #save(Path)}; layers not named are stored as F32
     * @return the same module with those storage types (layers shared, no hash: the file it would
     *     write is another)
     */
    public LoraModule withStoredDtypes(Map<String, StoredDtypes> newDtypes) {
        return new LoraModule(name, config, List.copyOf(layers.values()), newDtypes, null, sources);
    }

    /**
     * Loads a PEFT adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors},
     * or a pickled {@code adapter_model.bin} read without running anything from it); see {@link
     * PeftAdapters} for what is accepted and refused. A llama.cpp LoRA adapter file ({@code .gguf},
     * {@code general.type = adapter}) is read too, when it gives its head size or adapts neither
     * q_proj nor k_proj (see {@link LlamaCppAdapters}; otherwise give the base model, {@link
     * #load(Path, Path)}, or its head size, {@link #load(Path, int)}).
     *
     * @param dir folder with adapter_config.json and adapter_model.safetensors (or .bin), or a
     *     {@code .gguf} adapter file
     * @return the module, named after the folder (after the repo, {@code org/name}, for a Hugging
     *     Face cache snapshot: see {@link dev.lorahub.io.HfCache}; after the file, without {@code
     *     .gguf}, for a llama.cpp adapter)
     * @throws java.nio.file.NoSuchFileException if the folder does not exist
     * @throws AdapterFormatException if a file is invalid, or a pickle holds anything {@code
     *     torch.load(weights_only=True)} refuses; the message names the file, the key and the
     *     shapes, or the forbidden global, opcode or record
     * @throws IOException if the files cannot be read
     */
    public static LoraModule load(Path dir) throws IOException {
        return of(
                dir,
                LlamaCppAdapters.isAdapter(dir)
                        ? LlamaCppAdapters.read(dir)
                        : PeftAdapters.read(dir));
    }

    /**
     * Loads an adapter for a known base model: a PEFT folder as {@link #load(Path)} does; a
     * llama.cpp {@code .gguf} adapter with the base model's head size for its q_proj/k_proj rows
     * ({@link LlamaCppAdapters#headDimOf}: {@code config.json} or the GGUF model's metadata).
     *
     * @param adapter a PEFT adapter folder or a {@code .gguf} adapter file
     * @param baseModel the base model the adapter is for: a Hugging Face folder or a {@code .gguf}
     *     model (read only when {@code adapter} is a {@code .gguf} file)
     * @return the module, named as by {@link #load(Path)}
     * @throws AdapterFormatException as {@link #load(Path)}, and when a {@code .gguf} adapter
     *     adapts q_proj/k_proj and the base model gives no head size, or another than the file's
     * @throws IOException if a file cannot be read
     */
    public static LoraModule load(Path adapter, Path baseModel) throws IOException {
        if (!LlamaCppAdapters.isAdapter(adapter)) {
            return of(adapter, PeftAdapters.read(adapter));
        }
        return of(adapter, LlamaCppAdapters.read(adapter, baseModel));
    }

    /**
     * Loads an adapter whose base model's head size is known: a PEFT folder as {@link #load(Path)}
     * does (the head size is not needed); a llama.cpp {@code .gguf} adapter with its q_proj/k_proj
     * {@code lora_b} rows taken back from llama.cpp's order within heads of {@code headDim} rows.
     *
     * @param adapter a PEFT adapter folder or a {@code .gguf} adapter file
     * @param headDim the base model's head size ({@code head_dim}, else {@code hidden_size /
     *     num_attention_heads}), even and at least 2
     * @return the module, named as by {@link #load(Path)}
     * @throws AdapterFormatException as {@link #load(Path)}, and when the file gives another head
     *     size or a q/k layer's rows are not whole heads
     * @throws IOException if a file cannot be read
     */
    public static LoraModule load(Path adapter, int headDim) throws IOException {
        if (!LlamaCppAdapters.isAdapter(adapter)) {
            return of(adapter, PeftAdapters.read(adapter));
        }
        return of(adapter, LlamaCppAdapters.read(adapter, headDim));
    }

    private static LoraModule of(Path dir, PeftAdapters.Contents c) {
        Path abs = dir.toAbsolutePath().normalize();
        return new LoraModule(
                nameOf(abs), c.config(), c.layers(), c.dtypes(), c.weightsHash(), Set.of(abs));
    }

    /**
     * Loads several adapters ({@link #load(Path)} each) and names them distinctly, as {@link
     * #distinctlyNamed(List)} says.
     *
     * @param dirs adapter folders or {@code .gguf} files
     * @return the modules, in order, with distinct names
     * @throws IllegalArgumentException if a path is given twice
     * @throws IOException if a folder cannot be read (see {@link #load(Path)})
     */
    public static List<LoraModule> loadAll(List<Path> dirs) throws IOException {
        List<LoraModule> loaded = new ArrayList<>();
        for (Path dir : dirs) {
            loaded.add(load(dir));
        }
        return distinctlyNamed(loaded);
    }

    /**
     * The one naming rule of modules used together, applied by {@link LoraHub#compose(List)},
     * {@link #loadAll(List)} and every command ({@code learn}, {@code merge}, the Spark job). A
     * module still named as {@link #load(Path)} named it after its folder or file is renamed when
     * another module of the list has the same name: to the shortest suffix of its path that tells
     * it apart ({@code runs/run1/adapter} and {@code runs/run2/adapter} become {@code
     * run1/adapter} and {@code run2/adapter}). A module whose name was chosen ({@link
     * #withName(String)}; {@code --modules NAME=DIR} on the command line), made in memory or
     * merged keeps its name.
     *
     * @param modules modules, e.g. loaded with {@link #load(Path, Path)}
     * @return the modules in order, renamed where needed (layers shared)
     * @throws IllegalArgumentException if two of them were loaded from the same path, or two
     *     keep the same name (the message names both and their folders)
     */
    public static List<LoraModule> distinctlyNamed(List<LoraModule> modules) {
        List<Integer> derived = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        List<String> defaults = new ArrayList<>();
        Set<String> kept = new HashSet<>();
        for (int i = 0; i < modules.size(); i++) {
            LoraModule m = modules.get(i);
            Set<Path> src = m.sourceFolders();
            Path path = src.size() == 1 ? src.iterator().next() : null;
            if (path != null && m.name().equals(nameOf(path))) {
                derived.add(i);
                paths.add(path);
                defaults.add(m.name());
            } else {
                kept.add(m.name());
            }
        }
        List<String> names = ModuleNames.distinct(paths, defaults, kept);
        List<LoraModule> out = new ArrayList<>(modules);
        for (int k = 0; k < derived.size(); k++) {
            int i = derived.get(k);
            if (!names.get(k).equals(out.get(i).name())) {
                out.set(i, out.get(i).withName(names.get(k)));
            }
        }
        ModuleNames.requireDistinct(out);
        return out;
    }

    /**
     * The name {@link #load(Path)} gives: the folder's name (a {@code .gguf} file's without the
     * extension); for a Hugging Face cache snapshot ({@code
     * .../models--org--name/snapshots/<commit>}) the repo id {@code org/name}, not the commit.
     */
    private static String nameOf(Path abs) {
        Path fileName = abs.getFileName();
        if (fileName == null) {
            return abs.toString();
        }
        String name = HfCache.repoIdOfSnapshot(abs).orElse(fileName.toString());
        if (name.endsWith(".gguf") && Files.isRegularFile(abs)) {
            return name.substring(0, name.length() - ".gguf".length());
        }
        return name;
    }

    /**
     * Saves as a PEFT adapter folder, atomically: written into a temp folder beside {@code dir} and
     * moved into place, with metadata {@code {"format": "pt"}}, each factor in its stored type. A
     * module saved after {@link #load(Path)} is byte-identical to the folder loaded
     * (adapter_config.json as PEFT writes it, safetensors in the reference layout).
     *
     * @param dir the target folder; an existing one is replaced only if it holds nothing but
     *     adapter files
     * @throws IllegalArgumentException if {@code dir} is one of {@link #sourceFolders()}, the
     *     module has no layers, or a layer's rank or scaling is not the one its config gives that
     *     path ({@link AdapterConfig#rankFor}, {@link AdapterConfig#scalingFor}): such a folder
     *     would load refused or rescaled
     * @throws IOException if writing fails (no partial folder is left)
     */
    public void save(Path dir) throws IOException {
        PeftAdapters.write(dir, config, layers.values(), dtypes, sources);
    }

    /**
     * Saves as a llama.cpp LoRA adapter ({@code .gguf}, F32), atomically (temp file, then move), so
     * that llama.cpp and tools built on it serve it: {@code llama-cli -m base.gguf --lora FILE}.
     * The q_proj/k_proj {@code lora_b} rows are permuted into llama.cpp's order within heads of
     * {@code headDim}; the config is stored beside, so {@link #load(Path)} gives this module back
     * bit for bit (see {@link LlamaCppAdapters} for what is folded or refused).
     *
     * @param file the target file; it must not be one of {@link #sourceFolders()}
     * @param headDim the base model's head size (hidden size / attention heads), needed when a
     *     layer adapts q_proj or k_proj, else 0 ({@link LlamaCppAdapters#headDimOf} reads it from a
     *     model)
     * @throws IllegalArgumentException if the module has no layers, a layer has no llama.cpp name,
     *     q/k layers are given no head size, or the config uses DoRA, LoRA biases or
     *     modules_to_save
     * @throws IOException if writing fails (no partial file is left)
     */
    public void saveGguf(Path file, int headDim) throws IOException {
        if (sources.contains(file.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException(
                    "refusing to write to " + file + ": module '" + name + "' was loaded from it");
        }
        LlamaCppAdapters.write(file, config, layers.values(), headDim, name);
    }

    /**
     * As {@link #save(Path)}, with extra files beside the adapter's, all in one atomic folder
     * replacement ({@link dev.lorahub.io.AtomicFolder}): a reader never sees the adapter without
     * them or with older ones. For {@link LoraHubResult#save(Path)}.
     *
     * @param dir the target folder; an existing one is replaced only if it holds nothing but
     *     adapter files and files named in {@code extraFiles}
     * @param extraFiles contents by plain file name (no slash, not starting with a dot), none of
     *     the adapter's own names
     * @throws IllegalArgumentException as {@link #save(Path)}, or for a bad extra file name
     * @throws IOException if writing fails (no partial folder is left)
     */
    void save(Path dir, Map<String, byte[]> extraFiles) throws IOException {
        PeftAdapters.write(dir, config, layers.values(), dtypes, sources, extraFiles);
    }

    /** What {@link #saveGguf} writes, for a caller that writes it into a folder of its own. */
    byte[] ggufBytes(int headDim) {
        return LlamaCppAdapters.toBytes(config, layers.values(), headDim, name);
    }

    @Override
    public String toString() {
        return "LoraModule[" + name + ", " + layers.size() + " layers, " + config + "]";
    }
}
