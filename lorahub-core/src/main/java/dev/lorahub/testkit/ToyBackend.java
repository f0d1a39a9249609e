package dev.lorahub.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.spi.BaseModel;
import dev.lorahub.spi.ModelBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@link ModelBackend} of {@link ToyModel}: it supports a folder whose {@code config.json} has
 * {@code "model_type": "lorahub-toy"} (as {@link ToyModel#save(Path)} writes it). Registered in
 * {@code META-INF/services/dev.lorahub.spi.ModelBackend}, so LoraHub and the CLI resolve toy models
 * like any other backend's.
 */
public final class ToyBackend implements ModelBackend {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Creates the backend (ServiceLoader needs a public no-argument constructor). */
    public ToyBackend() {}

    @Override
    public String name() {
        return ToyModel.MODEL_TYPE;
    }

    @Override
    public boolean supports(Path model) {
        Path config = model.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return false;
        }
        try {
            return ToyModel.MODEL_TYPE.equals(
                    JSON.readTree(config.toFile()).path("model_type").asText());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public BaseModel load(Path model) throws IOException {
        return ToyModel.load(model);
    }
}
