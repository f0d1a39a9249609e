package dev.lorahub.model;

import dev.lorahub.spi.ModelBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds {@link ModelBackend}s on the class path through {@link ServiceLoader}. */
public final class ModelBackends {
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
     * @throws IllegalArgumentException naming the path and the backends tried when none supports it
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
     * @throws IllegalArgumentException naming the path and the backends tried when none supports
     *     it, or when the chosen backend cannot keep {@code dtype}
     */
    public static BaseModel load(Path model, WeightDtype dtype) throws IOException {
        List<String> tried = new ArrayList<>();
        for (ModelBackend backend : available()) {
            if (backend.supports(model)) {
                return backend.load(model, dtype);
            }
            tried.add(backend.name());
        }
        throw new IllegalArgumentException(
                "no model backend supports '"
                        + model
                        + "' (tried "
                        + tried
                        + "); is the backend's jar, e.g. lorahub-djl, on the class path?");
    }
}
