package dev.lorahub.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.io.StrictJson;
import dev.lorahub.spi.ModelBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.WeakHashMap;
import java.util.stream.Stream;

/**
 * Finds {@link ModelBackend}s on the class path through {@link ServiceLoader}, and loads base
 * models with them. It remembers, for as long as a model it loaded is reachable, the path it came
 * from ({@link #location(BaseModel)}): a LoraHub run records that path and its files' SHA-256 in
 * its provenance.
 */
public final class ModelBackends {
    private static final int LISTED_FILES = 6;
    private static final Map<BaseModel, Path> LOCATIONS =
            Collections.synchronizedMap(new WeakHashMap<>());

    private ModelBackends() {}

    /**
     * @return every registered backend, in class-path order
     */
    public static List<ModelBackend> available() {
        List<ModelBackend> out = new ArrayList<>();
        ServiceLoader.load(ModelBackend.class).forEach(out::add);
        return out;
    }

    /**
     * Loads a base model with the first registered backend that supports it.
     *
     * @param model a model folder or file
     * @return the loaded model, to be closed by the caller
     * @throws IOException if the chosen backend cannot read the files
     * @throws ModelNotFoundException when nothing is at {@code model} (naming its absolute path),
     *     when no backend is on the class path, or when none of them supports what is there (naming
     *     the path, its {@code config.json} model_type or the files it holds, and the backends
     *     tried)
     */
    public static BaseModel load(Path model) throws IOException {
        return load(model, WeightDtype.F32);
    }

    /**
     * Loads a base model with the first registered backend that supports it, keeping its weight
     * matrices in {@code dtype}.
     *
     * @param model a model folder or file
     * @param dtype how to keep the weights ({@link WeightDtype#F32} is what {@link #load(Path)}
     *     does)
     * @return the loaded model, to be closed by the caller
     * @throws IOException if the chosen backend cannot read the files
     * @throws ModelNotFoundException as {@link #load(Path)} does
     * @throws IllegalArgumentException when the chosen backend cannot keep {@code dtype}
     */
    public static BaseModel load(Path model, WeightDtype dtype) throws IOException {
        Path abs = model.toAbsolutePath().normalize();
        if (!Files.exists(model)) {
            throw new ModelNotFoundException("base model " + abs + ": no such file or folder");
        }
        List<ModelBackend> backends = available();
        if (backends.isEmpty()) {
            throw new ModelNotFoundException(
                    "no model backend on the class path to load "
                            + abs
                            + ": add lorahub-djl (it registers a dev.lorahub.spi.ModelBackend)");
        }
        List<String> tried = new ArrayList<>();
        for (ModelBackend backend : backends) {
            if (backend.supports(model)) {
                BaseModel loaded = backend.load(model, dtype);
                LOCATIONS.put(loaded, abs);
                return loaded;
            }
            tried.add(backend.name());
        }
        throw new ModelNotFoundException(
                "no model backend supports "
                        + abs
                        + " ("
                        + describe(abs)
                        + "; backends tried: "
                        + tried
                        + ")");
    }

    /**
     * @param model a model
     * @return the absolute, normalized folder or file {@link #load(Path)} loaded it from; empty for
     *     a model made otherwise
     */
    public static Optional<Path> location(BaseModel model) {
        return Optional.ofNullable(LOCATIONS.get(model));
    }

    /** What is at an existing path, in a few words, for a refusal. */
    private static String describe(Path abs) {
        if (!Files.isDirectory(abs)) {
            try {
                return "a file of " + Files.size(abs) + " bytes";
            } catch (IOException e) {
                return "a file";
            }
        }
        Path config = abs.resolve("config.json");
        if (Files.isRegularFile(config)) {
            try {
                return "config.json model_type '"
                        + StrictJson.read(new ObjectMapper(), config).path("model_type").asText()
                        + "'";
            } catch (IOException e) {
                return "config.json is not JSON";
            }
        }
        try (Stream<Path> s = Files.list(abs)) {
            List<String> names = s.map(p -> String.valueOf(p.getFileName())).sorted().toList();
            return "no config.json; holds "
                    + (names.size() <= LISTED_FILES
                            ? names
                            : names.subList(0, LISTED_FILES)
                                    + " and "
                                    + (names.size() - LISTED_FILES)
                                    + " more");
        } catch (IOException e) {
            return "no config.json";
        }
    }
}
