package dev.lorahub.io;

import dev.lorahub.LoraLayer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** Writes a PEFT folder into a temp folder beside the target and moves it into place. */
final class PeftFolderWriter {
    /** Files an existing target folder may hold for it to be replaced. */
    private static final Set<String> REPLACEABLE =
            Set.of(
                    PeftAdapters.CONFIG_FILE,
                    PeftAdapters.WEIGHTS_FILE,
                    "README.md",
                    // written beside by learn --format gguf
                    "adapter_model.gguf");

    private PeftFolderWriter() {}

    static void write(
            Path dir,
            AdapterConfig config,
            Collection<LoraLayer> layers,
            Map<String, StoredDtypes> dtypes,
            Set<Path> inputs)
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
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new FileAlreadyExistsException(
                        target.toString(), null, "exists and is not a folder");
            }
            List<String> others = new ArrayList<>();
            try (Stream<Path> s = Files.list(target)) {
                s.map(p -> p.getFileName().toString())
                        .filter(n -> !REPLACEABLE.contains(n))
                        .sorted()
                        .forEach(others::add);
            }
            if (!others.isEmpty()) {
                throw new FileAlreadyExistsException(
                        target.toString(),
                        null,
                        "holds files other than an adapter's "
                                + others
                                + "; refusing to replace it");
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
        try {
            Files.write(
                    tmp.resolve(PeftAdapters.CONFIG_FILE),
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
                    tmp.resolve(PeftAdapters.WEIGHTS_FILE), PeftAdapters.METADATA, tensors);
            moveIntoPlace(tmp, target);
        } finally {
            deleteTree(tmp);
        }
    }

    private static boolean sameFolder(Path target, Path input) throws IOException {
        Path in = input.toAbsolutePath().normalize();
        if (in.equals(target)) {
            return true;
        }
        return Files.exists(target) && Files.exists(in) && Files.isSameFile(target, in);
    }

    /** Renames tmp to target; an existing target is moved aside first and restored on failure. */
    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        if (!Files.exists(target)) {
            move(tmp, target);
            return;
        }
        Path aside =
                Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
        Files.delete(aside);
        move(target, aside);
        try {
            move(tmp, target);
        } catch (IOException | RuntimeException e) {
            move(aside, target);
            throw e;
        }
        deleteTree(aside);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
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
