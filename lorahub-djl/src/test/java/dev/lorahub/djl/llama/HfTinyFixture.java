package dev.lorahub.djl.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.io.TensorInfo;
import dev.lorahub.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the hf-tiny/llama fixture: inputs, references, and PEFT adapters. */
final class HfTinyFixture {
    final Path root;
    final JsonNode inputs;
    final JsonNode results;

    HfTinyFixture() throws IOException {
        root = SharedFixtures.require("hf-tiny/llama");
        ObjectMapper om = new ObjectMapper();
        inputs = om.readTree(root.resolve("ref/inputs.json").toFile());
        results = om.readTree(root.resolve("ref/results.json").toFile());
    }

    Path model() {
        return root.resolve("model");
    }

    static int[][] ints(JsonNode rows) {
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new int[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = rows.get(i).get(j).asInt();
            }
        }
        return out;
    }

    float[] logits(String variant) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(root.resolve("ref/logits.safetensors"))) {
            return r.readFloat32(variant);
        }
    }

    /** The folder of a variant's adapter: adapters/adapter_i or ref/merged/name. */
    Path adapterDir(String variant) {
        return variant.startsWith("adapter_")
                ? root.resolve("adapters").resolve(variant)
                : root.resolve("ref/merged").resolve(variant);
    }

    /**
     * A PEFT folder read directly (r, lora_alpha, the lora_A/lora_B tensors); independent of the
     * core loader, so these tests do not depend on it.
     */
    static LoraModule readPeft(Path dir) throws IOException {
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        int r = cfg.get("r").asInt();
        double alpha = cfg.get("lora_alpha").asDouble();
        List<LoraLayer> layers = new ArrayList<>();
        try (SafetensorsReader st =
                SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            for (TensorInfo t : st.tensors()) {
                String name = t.name();
                if (!name.endsWith(".lora_A.weight")) {
                    continue;
                }
                String path =
                        name.substring(
                                "base_model.model.".length(),
                                name.length() - ".lora_A.weight".length());
                String bName = "base_model.model." + path + ".lora_B.weight";
                long[] aShape = t.shape();
                long[] bShape = st.tensor(bName).orElseThrow().shape();
                layers.add(
                        new LoraLayer(
                                path,
                                (int) aShape[0],
                                (int) aShape[1],
                                (int) bShape[0],
                                st.readFloat32(name),
                                st.readFloat32(bName),
                                alpha / r,
                                false));
            }
        }
        return new LoraModule(
                dir.getFileName().toString(),
                new AdapterConfig("hf-tiny/llama", r, alpha, List.of("q_proj", "v_proj")),
                layers);
    }
}
