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
 * file, the key and the shapes, everything it cannot represent faithfully: a pickled {@code
 * adapter_model.bin}, DoRA ({@code use_dora} or {@code lora_magnitude_vector}), embedding LoRA
 * ({@code lora_embedding_A/B}), {@code modules_to_save} copies, trained biases, keys that still
 * hold an adapter name, a factor without its partner, A and B ranks that differ, a rank other than
 * the config's for that module, and tensors that are not 2-D.
 */
public final class PeftAdapters {
    /** The config file of a PEFT folder. */
    public static final String CONFIG_FILE = "adapter_config.json";

    /** The weights file of a PEFT folder. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    /** The pickled weights file of old PEFT folders, which this library refuses to unpickle. */
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
     * @param weightsHash the SHA-256 of adapter_model.safetensors as it was read, computed on first
     *     use
     */
    public record Contents(
            AdapterConfig config,
            List<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes,
            FileHash weightsHash) {
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
     * @throws AdapterFormatException if a file is missing, pickled or invalid (see class doc)
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
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.exists(weights)) {
            Path pickle = dir.resolve(PICKLE_FILE);
            if (Files.exists(pickle)) {
                throw new AdapterFormatException(pickle, pickleMessage());
            }
            throw new AdapterFormatException(dir, "no " + WEIGHTS_FILE + " in the folder");
        }
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
     * The refusal for {@code adapter_model.bin}: why, and how to convert it.
     *
     * @return the message
     */
    static String pickleMessage() {
        return "adapter_model.bin is a Python pickle; loading it would run arbitrary code from the"
                + " file, so lorahub never unpickles adapters. Convert it once, in a trusted"
                + " Python environment, inside the adapter folder: python -c \"from"
                + " safetensors.torch import save_file; import torch;"
                + " save_file(torch.load('adapter_model.bin'), 'adapter_model.safetensors',"
                + " metadata={'format':'pt'})\"";
    }

    /**
     * Writes a PEFT folder atomically: everything goes into a temp folder beside {@code dir}, which
     * is then moved into place. An existing {@code dir} that holds only adapter files
     * (adapter_config.json, adapter_model.safetensors, README.md) is replaced; anything else in it
     * makes the write fail before any change. On failure no partial folder is left.
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
        PeftFolderWriter.write(dir, config, layers, dtypes, inputs);
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
