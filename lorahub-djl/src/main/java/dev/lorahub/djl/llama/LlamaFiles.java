package dev.lorahub.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.djl.internal.Checkpoint;
import dev.lorahub.io.DType;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import dev.lorahub.model.WeightDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes LLaMA-family models as Hugging Face folders. */
public final class LlamaFiles {
    private LlamaFiles() {}

    /**
     * Loads {@code config.json} and the safetensors weights (single or sharded; F32, F16, BF16).
     * Tied models may omit {@code lm_head.weight}; a stored one is ignored then.
     *
     * @param dir the model folder
     * @param parent the manager under which the model's sub-manager is made
     * @return the model
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException for an unsupported model_type, a missing or misshapen tensor, a
     *     truncated file; nothing stays allocated then
     */
    public static LlamaModel load(Path dir, NDManager parent) throws IOException {
        return load(dir, parent, WeightDtype.F32);
    }

    /**
     * As {@link #load(Path, NDManager)}, keeping the weight matrices in {@code dtype} (norms and
     * biases stay float32).
     *
     * @param dir the model folder
     * @param parent the manager under which the model's sub-manager is made
     * @param dtype how to keep the weight matrices
     * @return the model
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException as {@link #load(Path, NDManager)}, or for a value float16
     *     cannot hold
     */
    public static LlamaModel load(Path dir, NDManager parent, WeightDtype dtype)
            throws IOException {
        DjlRuntime.start();
        LlamaConfig config = LlamaConfig.read(dir.resolve("config.json"));
        NDManager m = parent.newSubManager();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : LlamaLayout.shapes(config).entrySet()) {
                w.put(e.getKey(), ckpt.load(e.getKey(), e.getValue(), m, dtype));
            }
            return new LlamaModel(config, w, m);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (F32, F16 for matrices kept in
     * float16; metadata {@code
     * {"format":"pt"}}; {@code lm_head.weight} omitted when tied), each through a temp file moved
     * into place. {@link #load(Path, NDManager)} reads it back bit-identically.
     *
     * @param model the model
     * @param dir the target folder, created if absent
     * @throws IOException if writing fails
     */
    public static void save(LlamaModel model, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<TensorData> tensors = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
            NDArray a = e.getValue();
            // a float16 matrix (WeightDtype.F16) is written as F16: widening and narrowing are exact
            boolean half = a.getDataType() == DataType.FLOAT16;
            float[] values = (half ? a.toType(DataType.FLOAT32, false) : a).toFloatArray();
            tensors.add(
                    TensorData.ofFloats(
                            e.getKey(), a.getShape().getShape(), values, half ? DType.F16 : DType.F32));
        }
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE), Map.of("format", "pt"), tensors);
        Path tmp = Files.createTempFile(dir, "config", ".json.tmp");
        try {
            new ObjectMapper()
                    .writerWithDefaultPrettyPrinter()
                    .writeValue(tmp.toFile(), model.config().toJson());
            Files.move(
                    tmp,
                    dir.resolve("config.json"),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
