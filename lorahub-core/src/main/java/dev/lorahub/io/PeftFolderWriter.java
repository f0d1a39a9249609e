package dev.lorahub.io;

import dev.lorahub.LoraLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Writes a PEFT folder (and any extra files) as one {@link AtomicFolder} replacement. */
final class PeftFolderWriter {
    /** The adapter's own files: extra files may not take these names. */
    private static final Set<String> OWN =
            Set.of(PeftAdapters.CONFIG_FILE, PeftAdapters.WEIGHTS_FILE, "README.md");

    /** Files an existing target folder may hold for it to be replaced. */
    private static final Set<String> REPLACEABLE =
            Set.of(
                    PeftAdapters.CONFIG_FILE,
                    PeftAdapters.WEIGHTS_FILE,
                    "README.md",
                    // written beside by learn --format gguf
                    PeftAdapters.GGUF_FILE);

    private PeftFolderWriter() {}

    static void write(
            Path dir,
            AdapterConfig config,
            Collection<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes,
            Set<Path> inputs,
            Map<String, byte[]> extraFiles)
            throws IOException {
        requireLoadable(dir, config, layers);
        Path target = dir.toAbsolutePath().normalize();
        for (Path input : inputs) {
            if (sameFolder(target, input)) {
                throw new IllegalArgumentException(
                        "refusing to write to "
                                + dir
                                + ": it is the folder an input adapter was"
                                + " loaded from ("
                                + input
                                + "); inputs are never overwritten");
            }
        }
        Set<String> replaceable = new HashSet<>(REPLACEABLE);
        for (String name : extraFiles.keySet()) {
            if (OWN.contains(name) || name.contains("/") || name.startsWith(".")) {
                throw new IllegalArgumentException(
                        "extra file '" + name + "' would clash with the adapter's files");
            }
            replaceable.add(name);
        }
        AtomicFolder.replace(
                target,
                replaceable,
                "an adapter's",
                staging -> {
                    writeFiles(staging, config, layers, dtypes);
                    for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
                        Files.write(staging.resolve(e.getKey()), e.getValue());
                    }
                });
    }

    private static void writeFiles(
            Path into,
            AdapterConfig config,
            Collection<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes)
            throws IOException {
        Files.write(
                into.resolve(PeftAdapters.CONFIG_FILE),
                config.toJson().getBytes(StandardCharsets.UTF_8));
        List<TensorData> tensors = new ArrayList<>(layers.size() * 2);
        for (LoraLayer l : layers) {
            StoredDtypes t = dtypes.getOrDefault(l.modulePath(), StoredDtypes.F32);
            String base = PeftAdapters.PREFIX + l.modulePath();
            tensors.add(
                    TensorData.ofFloats(
                            base + PeftAdapters.A_SUFFIX,
                            new long[] {l.rank(), l.inFeatures()},
                            l.loraA(),
                            t.loraA()));
            tensors.add(
                    TensorData.ofFloats(
                            base + PeftAdapters.B_SUFFIX,
                            new long[] {l.outFeatures(), l.rank()},
                            l.loraB(),
                            t.loraB()));
        }
        SafetensorsWriter.write(
                into.resolve(PeftAdapters.WEIGHTS_FILE), PeftAdapters.METADATA, tensors);
    }

    private static boolean sameFolder(Path target, Path input) throws IOException {
        Path in = input.toAbsolutePath().normalize();
        if (in.equals(target)) {
            return true;
        }
        return Files.exists(target) && Files.exists(in) && Files.isSameFile(target, in);
    }

    /**
     * Refuses what {@code LoraModule.load} would refuse or read differently: no layers, or a layer
     * whose rank or scaling is not the one the config gives its path ({@code rankFor}, {@code
     * scalingFor}; scalings compared to 1e-9 relative, the rounding of alpha = s * r).
     */
    private static void requireLoadable(
            Path dir, AdapterConfig config, Collection<LoraLayer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(
                    "refusing to write " + dir + ": the module has no layers");
        }
        for (LoraLayer l : layers) {
            String path = l.modulePath();
            int rank = config.rankFor(path);
            double scaling = config.scalingFor(path);
            boolean sameScaling =
                    Math.abs(l.scaling() - scaling)
                            <= 1e-9 * Math.max(Math.abs(l.scaling()), Math.abs(scaling));
            if (l.rank() != rank || !sameScaling) {
                throw new IllegalArgumentException(
                        "refusing to write "
                                + dir
                                + ": layer '"
                                + path
                                + "' has rank "
                                + l.rank()
                                + ", scaling "
                                + l.scaling()
                                + " but the adapter config gives it rank "
                                + rank
                                + ", scaling "
                                + scaling
                                + "; loaded back it would be refused or rescaled");
            }
        }
    }
}
