package dev.lorahub.djl.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lorahub.LoraModule;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.testing.SharedFixtures;

import java.io.IOException;
import java.nio.file.Path;

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

    /** A variant's adapter through the core PEFT loader. */
    LoraModule adapter(String variant) throws IOException {
        return LoraModule.load(adapterDir(variant));
    }
}
