package dev.lorahub.cli;

import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterFormatException;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.model.WeightDtype;
import dev.lorahub.spi.LinearShape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The model options {@code lorahub score} and {@code lorahub generate} share, as a picocli mixin:
 * {@code --model} (a folder or a {@code .gguf} file, loaded by the backend that accepts it, its
 * weights in {@code --dtype}) and
 * {@code --adapter} (a PEFT folder or a llama.cpp {@code .gguf} adapter, whose q/k head size is
 * the model's; without it the base model runs alone). Either may be a Hugging
 * Face id looked up in the local cache ({@code --revision} for the model, {@code org/name@REV} for
 * the adapter, {@code --cache-dir}).
 */
final class ModelOptions {
    @Option(
            names = "--model",
            required = true,
            description = "Model folder or .gguf file, or a Hugging Face id (org/name) in the cache.")
    Path model;

    @Option(
            names = "--revision",
            paramLabel = "REV",
            description = "Branch, tag or commit of a --model given as an id (default: main).")
    @Nullable String revision;

    @Option(
            names = "--adapter",
            description =
                    "PEFT adapter folder, llama.cpp .gguf adapter file, or an id (org/name or"
                            + " org/name@REV) in the cache (default: the base model).")
    @Nullable Path adapter;

    @Mixin HubOptions hub = new HubOptions();

    @Mixin DtypeOption dtype = new DtypeOption();

    /**
     * @return the model, loaded by the first backend that accepts {@code --model}, its weights in
     *     {@code --dtype}; to be closed
     * @throws IOException if it cannot be read
     */
    BaseModel load() throws IOException {
        return load(hub.locate(model, revision), dtype.dtype);
    }

    /**
     * @param model a model folder or file
     * @return the model, loaded by the first backend that accepts it; to be closed
     * @throws dev.lorahub.model.ModelNotFoundException if nothing is there or no backend supports
     *     it (one line naming the path and what is there)
     * @throws IOException if it cannot be read
     */
    static BaseModel load(Path model) throws IOException {
        return load(model, WeightDtype.F32);
    }

    /**
     * @param model a model folder or file
     * @param dtype how to keep the weight matrices
     * @return the model, loaded by the first backend that accepts it; to be closed
     * @throws dev.lorahub.model.ModelNotFoundException if nothing is there or no backend supports
     *     it (one line naming the path and what is there)
     * @throws IOException if it cannot be read
     */
    static BaseModel load(Path model, WeightDtype dtype) throws IOException {
        return ModelBackends.load(model, dtype);
    }

    /**
     * @param m the loaded {@code --model}
     * @return the {@code --adapter} module (or, without it, a module without layers: the base model
     *     alone), checked against the model's layers
     * @throws IOException if the folder cannot be read
     * @throws AdapterFormatException naming the adapter folder when it targets a layer the model
     *     lacks (an adapter for another base model)
     */
    LoraModule adapterFor(BaseModel m) throws IOException {
        if (adapter == null) {
            return LoraModule.none();
        }
        // a llama.cpp .gguf adapter takes its q/k head size from --model
        LoraModule module = LoraModule.load(hub.locate(adapter, null), hub.locate(model, revision));
        Map<String, LinearShape> linears = m.linearModules();
        for (String path : module.layers().keySet()) {
            if (!linears.containsKey(path)) {
                throw new AdapterFormatException(
                        adapter,
                        "targets '"
                                + path
                                + "', which the "
                                + m.modelType()
                                + " model "
                                + model
                                + " lacks; the adapter is for base model '"
                                + module.config().baseModelNameOrPath()
                                + "'");
            }
        }
        return module;
    }
}
