package dev.lorahub;

import dev.lorahub.Provenance.BaseModelSource;
import dev.lorahub.Provenance.FileRef;
import dev.lorahub.io.FileHash;
import dev.lorahub.io.HfCache;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The base model's part of a provenance: where {@link ModelBackends#load(Path)} loaded it from and
 * the SHA-256 of the files that make it (weights, config, tokenizer; see {@link
 * BaseModelSource#files()}).
 */
final class ModelProvenance {
    private static final Set<String> NAMED =
            Set.of(
                    "config.json",
                    "generation_config.json",
                    "lorahub.json",
                    "tokenizer.json",
                    "tokenizer_config.json",
                    "tokenizer.model",
                    "spiece.model",
                    "special_tokens_map.json",
                    "vocab.json",
                    "merges.txt",
                    "added_tokens.json");
    private static final Pattern WEIGHTS =
            Pattern.compile(
                    ".+\\.safetensors|.+\\.safetensors\\.index\\.json|pytorch_model.*\\.bin"
                            + "|pytorch_model\\.bin\\.index\\.json|.+\\.gguf");

    private ModelProvenance() {}

    /**
     * @param model the base model of a run
     * @return its location, hub id and revision (for a cache snapshot) and its files' hashes;
     *     {@link BaseModelSource#UNKNOWN} for a model not loaded by {@link ModelBackends}
     * @throws UncheckedIOException naming the file when one cannot be read
     */
    static BaseModelSource of(BaseModel model) {
        Optional<Path> location = ModelBackends.location(model);
        if (location.isEmpty()) {
            return BaseModelSource.UNKNOWN;
        }
        Path path = location.get();
        Optional<String> hubId = HfCache.repoIdOfSnapshot(path);
        return new BaseModelSource(
                path.toString(),
                hubId.orElse(null),
                hubId.isPresent() ? String.valueOf(path.getFileName()) : null,
                files(path));
    }

    /**
     * @param model the base model given with {@code .on(model)}
     * @param source what {@link #of(BaseModel)} found
     * @return the hub id, else the path, else the model type
     */
    static String name(BaseModel model, BaseModelSource source) {
        if (source.hubId() != null) {
            return source.hubId();
        }
        return source.path() != null ? source.path() : model.modelType();
    }

    private static List<FileRef> files(Path path) {
        List<Path> files = new ArrayList<>();
        try {
            if (Files.isDirectory(path)) {
                try (Stream<Path> s = Files.list(path)) {
                    s.filter(Files::isRegularFile)
                            .filter(f -> isModelFile(String.valueOf(f.getFileName())))
                            .sorted()
                            .forEach(files::add);
                }
            } else {
                files.add(path);
            }
            List<FileRef> out = new ArrayList<>();
            for (Path f : files) {
                out.add(
                        new FileRef(
                                String.valueOf(f.getFileName()), FileHash.snapshot(f).sha256()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot hash the base model's files in " + path + ": " + e.getMessage(), e);
        }
    }

    static boolean isModelFile(String name) {
        return NAMED.contains(name) || WEIGHTS.matcher(name).matches();
    }
}
