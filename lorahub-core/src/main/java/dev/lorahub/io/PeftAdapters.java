package dev.lorahub.io;

import dev.lorahub.LoraLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * PEFT adapter folders: {@code adapter_config.json} plus {@code adapter_model.safetensors}, the
 * layout {@code save_pretrained} writes. {@link dev.lorahub.LoraModule#load(Path)} and {@link
 * dev.lorahub.LoraModule#save(Path)} are the usual entry points; this class does the file work.
 *
 * <p>Reading accepts exactly the tensors of plain LoRA on linear layers, {@code
 * base_model.model.<path>.lora_A.weight} {@code [r, in]} and {@code .lora_B.weight} {@code [out,
 * r]} in F32, F16, BF16 or F64, and refuses, with an {@link AdapterFormatException} naming the
 * file, the key and the shapes, everything it cannot represent faithfully: DoRA ({@code use_dora} or {@code lora_magnitude_vector}), embedding LoRA
 * ({@code lora_embedding_A/B}), {@code modules_to_save} copies, trained biases, keys that still
 * hold an adapter name, a factor without its partner, A and B ranks that differ, a rank other than
 * the config's for that module, and tensors that are not 2-D.
 *
 * <p>A folder without {@code adapter_model.safetensors} but with a pickled {@code adapter_model.bin}
 * (PEFT's {@code safe_serialization=False}, older PEFT releases) is read through {@link
 * PytorchReader}, which runs nothing from the file and refuses whatever {@code
 * torch.load(weights_only=True)} refuses; when both files exist, the safetensors one is read, as
 * PEFT does.
 */
public final class PeftAdapters {
    /** The config file of a PEFT folder. */
    public static final String CONFIG_FILE = "adapter_config.json";

    /** The weights file of a PEFT folder. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    /**
     * The llama.cpp form of the adapter that {@code LoraHubResult.saveWithGguf} writes beside the
     * PEFT files, in the same folder replacement.
     */
    public static final String GGUF_FILE = "adapter_model.gguf";

    /** The pickled weights file of old PEFT folders, read when there is no safetensors file. */
    public static final String PICKLE_FILE = "adapter_model.bin";

    /** The {@code __metadata__} PEFT writes. */
    public static final Map<String, String> METADATA = Map.of("format", "pt");

    static final String PREFIX = "base_model.model.";
    static final String A_SUFFIX = ".lora_A.weight";
    static final String B_SUFFIX = ".lora_B.weight";

    private PeftAdapters() {}

    /**
     * What a PEFT folder holds.
     *
     * @param config the parsed adapter_config.json
     * @param layers the layers in the order their lora_A tensors appear in the file's header
     * @param dtypes the stored element types of each layer's factors, by module path
     * @param weightsHash the SHA-256 of the weights file as it was read, computed on first use
     * @param format the format the weights file was read in
     */
    public record Contents(
            AdapterConfig config,
            List<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes,
            FileHash weightsHash,
            WeightsFormat format) {
        /** Copies the collections. */
        public Contents {
            layers = List.copyOf(layers);
            dtypes = Map.copyOf(dtypes);
        }
    }

    /**
     * Reads and validates a PEFT adapter folder.
     *
     * @param dir the folder
     * @return its config, layers, stored dtypes and (lazy) weights hash
     * @throws NoSuchFileException if the folder does not exist
     * @throws AdapterFormatException if a file is missing or invalid, or a pickle is refused (see
     *     class doc)
     * @throws IOException if a file cannot be read
     */
    public static Contents read(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such adapter folder");
        }
        if (!Files.isDirectory(dir)) {
            throw new AdapterFormatException(
                    dir,
                    "not a folder; a PEFT adapter is a folder holding "
                            + CONFIG_FILE
                            + " and "
                            + WEIGHTS_FILE);
        }
        Path weights = weightsFile(dir);
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.exists(configFile)) {
            throw new AdapterFormatException(dir, "no " + CONFIG_FILE + " in the folder");
        }
        AdapterConfig config = AdapterConfig.read(configFile);
        if (config.useDora()) {
            throw new AdapterFormatException(
                    configFile,
                    "use_dora is true: DoRA adapters (lora_magnitude_vector) are not"
                            + " supported, their update is not s * B @ A");
        }
        return PeftTensors.read(weights, config);
    }

    /**
     * The weights file of a PEFT folder: {@code adapter_model.safetensors}, else {@code
     * adapter_model.bin}.
     *
     * @param dir an adapter folder
     * @return the file {@link #read(Path)} reads
     * @throws AdapterFormatException if the folder has neither
     */
    public static Path weightsFile(Path dir) {
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (Files.exists(weights)) {
            return weights;
        }
        Path pickle = dir.resolve(PICKLE_FILE);
        if (Files.exists(pickle)) {
            return pickle;
        }
        throw new AdapterFormatException(
                dir, "no " + WEIGHTS_FILE + " (nor " + PICKLE_FILE + ") in the folder");
    }

    /**
     * Writes a PEFT folder atomically ({@link AtomicFolder}): everything goes into a temp folder
     * beside {@code dir}, which is then swapped into place; a process killed at any moment leaves
     * the previous folder or the new one, never a mix. An existing {@code dir} that holds only
     * adapter files (adapter_config.json, adapter_model.safetensors, README.md) is replaced;
     * anything else in it makes the write fail before any change.
     *
     * @param dir the target folder (its parent is created if missing)
     * @param config written as adapter_config.json
     * @param layers written as {@code base_model.model.<path>.lora_A/B.weight}
     * @param dtypes stored types by module path; layers not in it are written as F32
     * @param inputs folders that must not be written to (the folders inputs were loaded from)
     * @throws IllegalArgumentException if {@code dir} is one of {@code inputs}, {@code layers} is
     *     empty, or a layer has another rank or scaling than {@code config} gives its path
     * @throws IOException if writing fails, or {@code dir} is a file or holds other files
     */
    public static void write(
            Path dir,
            AdapterConfig config,
            Collection<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes,
            Set<Path> inputs)
            throws IOException {
        write(dir, config, layers, dtypes, inputs, Map.of());
    }

    /**
     * As {@link #write(Path, AdapterConfig, Collection, Map, Set)}, with extra files written into
     * the same folder in the same atomic replacement (a LoraHub result's weights, trace and
     * provenance); an existing {@code dir} may also hold files of these names.
     *
     * @param dir the target folder (its parent is created if missing)
     * @param config written as adapter_config.json
     * @param layers written as {@code base_model.model.<path>.lora_A/B.weight}
     * @param dtypes stored types by module path; layers not in it are written as F32
     * @param inputs folders that must not be written to (the folders inputs were loaded from)
     * @param extraFiles contents by plain file name, none of the adapter's own names
     * @throws IllegalArgumentException as the other overload, or for an extra file named like an
     *     adapter file, starting with a dot or holding a slash
     * @throws IOException if writing fails, or {@code dir} is a file or holds other files
     */
    public static void write(
            Path dir,
            AdapterConfig config,
            Collection<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes,
            Set<Path> inputs,
            Map<String, byte[]> extraFiles)
            throws IOException {
        PeftFolderWriter.write(dir, config, layers, dtypes, inputs, extraFiles);
    }

    static Optional<String> modulePathOf(String key, String suffix) {
        if (key.startsWith(PREFIX)
                && key.endsWith(suffix)
                && key.length() > PREFIX.length() + suffix.length()) {
            return Optional.of(key.substring(PREFIX.length(), key.length() - suffix.length()));
        }
        return Optional.empty();
    }
}
