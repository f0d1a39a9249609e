package dev.lorahub.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.io.StrictJson;
import dev.lorahub.model.BaseModel;
import dev.lorahub.spi.ModelBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@link ModelBackend} of {@link ToyModel}: it supports a folder whose {@code config.json} has
 * {@code "model_type": "lorahub-toy"} (as {@link ToyModel#save(Path)} writes it).
 *
 * <p>It is not registered in lorahub-core's jar, so a production class path never carries a toy
 * backend. A test that wants toy model folders resolved by path (by {@code LoraHub} from an
 * adapter's {@code base_model_name_or_path}, or by the CLI) registers it in its own test resources:
 * a file {@code src/test/resources/META-INF/services/dev.lorahub.spi.ModelBackend} containing the
 * line {@code dev.lorahub.testkit.ToyBackend}. Otherwise pass the model with {@code .on(model)}.
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
                    StrictJson.read(JSON, config).path("model_type").asText());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public BaseModel load(Path model) throws IOException {
        return ToyModel.load(model);
    }
}
