package dev.lorahub.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lorahub.io.DType;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes random PEFT LoRA adapter folders shaped like LoraHub's Flan-T5-large modules: rank 16,
 * alpha 32, targets {@code q} and {@code v} of the self-attention of 24 encoder and 24 decoder
 * blocks and of the decoder's cross-attention ({@code EncDecAttention}), d_model = inner dim =
 * 1024, F32. That is 144 target layers, 288 tensors of 16 x 1024 floats: 18 MiB per adapter.
 *
 * @param blocks encoder (and decoder) blocks, 24 for Flan-T5-large
 * @param dModel hidden size, 1024 for Flan-T5-large
 * @param rank LoRA rank r
 */
record SyntheticAdapters(int blocks, int dModel, int rank) {
    /** Flan-T5-large's shape with LoraHub's r = 16. */
    static final SyntheticAdapters FLAN_T5_LARGE = new SyntheticAdapters(24, 1024, 16);

    /**
     * @return the targeted module paths, PEFT order (encoder, then decoder self and cross)
     */
    List<String> modulePaths() {
        List<String> paths = new ArrayList<>();
        for (int b = 0; b < blocks; b++) {
            for (String m : new String[] {"q", "v"}) {
                paths.add("encoder.block." + b + ".layer.0.SelfAttention." + m);
            }
        }
        for (int b = 0; b < blocks; b++) {
            for (String m : new String[] {"q", "v"}) {
                paths.add("decoder.block." + b + ".layer.0.SelfAttention." + m);
            }
            for (String m : new String[] {"q", "v"}) {
                paths.add("decoder.block." + b + ".layer.1.EncDecAttention." + m);
            }
        }
        return paths;
    }

    /**
     * @return bytes of LoRA tensor data per adapter (A and B of every target, F32)
     */
    long tensorBytesPerAdapter() {
        return (long) modulePaths().size() * 2 * rank * dModel * Float.BYTES;
    }

    /**
     * Writes one adapter folder: {@code adapter_config.json} as PEFT 0.10 writes it and {@code
     * adapter_model.safetensors}. A is uniform in +-1/sqrt(d_model) (kaiming-like), B is normal
     * with sd 0.01 (a trained B is non-zero).
     *
     * @param dir the folder to create
     * @param seed drives every value
     */
    void write(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(dModel);
        List<TensorData> tensors = new ArrayList<>();
        float[] a = new float[rank * dModel];
        float[] b = new float[dModel * rank];
        for (String path : modulePaths()) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (gaussian(rnd) * 0.01);
            }
            String prefix = "base_model.model." + path;
            tensors.add(
                    TensorData.ofFloats(
                            prefix + ".lora_A.weight", new long[] {rank, dModel}, a, DType.F32));
            tensors.add(
                    TensorData.ofFloats(
                            prefix + ".lora_B.weight", new long[] {dModel, rank}, b, DType.F32));
        }
        SafetensorsWriter.write(
                dir.resolve("adapter_model.safetensors"), Map.of("format", "pt"), tensors);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("alpha_pattern", Map.of());
        config.put("base_model_name_or_path", "google/flan-t5-large");
        config.put("bias", "none");
        config.put("fan_in_fan_out", false);
        config.put("inference_mode", true);
        config.put("lora_alpha", 2 * rank);
        config.put("lora_dropout", 0.1);
        config.put("peft_type", "LORA");
        config.put("r", rank);
        config.put("rank_pattern", Map.of());
        config.put("target_modules", List.of("q", "v"));
        config.put("task_type", "SEQ_2_SEQ_LM");
        config.put("use_dora", false);
        config.put("use_rslora", false);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("adapter_config.json").toFile(), config);
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
