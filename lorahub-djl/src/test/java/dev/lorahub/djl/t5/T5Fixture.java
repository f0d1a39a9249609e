package dev.lorahub.djl.t5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lorahub.LoraModule;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.testing.SharedFixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The hf-tiny/t5 reference fixture (transformers 4.36.2 + PEFT 0.10.0): inputs, reference logits,
 * losses and greedy ids per variant. Skips the calling test when the fixture is absent.
 */
final class T5Fixture {
    static final List<String> VARIANTS =
            List.of(
                    "base",
                    "adapter_0",
                    "adapter_1",
                    "adapter_2",
                    "lorahub",
                    "awa_cat",
                    "awa_svd",
                    "awa_linear_absw");

    final Path dir;
    final JsonNode inputs;
    final JsonNode results;

    private T5Fixture(Path dir) throws IOException {
        this.dir = dir;
        ObjectMapper json = new ObjectMapper();
        this.inputs = json.readTree(Files.readString(dir.resolve("ref/inputs.json")));
        this.results = json.readTree(Files.readString(dir.resolve("ref/results.json")));
    }

    static T5Fixture require() throws IOException {
        return new T5Fixture(SharedFixtures.require("hf-tiny/t5"));
    }

    Path model() {
        return dir.resolve("model");
    }

    /**
     * @return the variant's adapter: none for base, a PEFT folder otherwise
     */
    LoraModule adapter(String variant) throws IOException {
        if (variant.equals("base")) {
            LoraModule any = LoraModule.load(dir.resolve("adapters/adapter_0"));
            return new LoraModule("base", any.config(), List.of());
        }
        Path folder =
                variant.startsWith("adapter_")
                        ? dir.resolve("adapters").resolve(variant)
                        : dir.resolve("ref/merged").resolve(variant);
        return LoraModule.load(folder);
    }

    /**
     * @return the rows of an int matrix in inputs.json, cut at the first masked position
     */
    List<int[]> rows(String key, String maskKey) {
        List<int[]> out = new ArrayList<>();
        JsonNode m = inputs.get(key);
        for (int r = 0; r < m.size(); r++) {
            List<Integer> row = new ArrayList<>();
            for (int c = 0; c < m.get(r).size(); c++) {
                if (maskKey != null && inputs.get(maskKey).get(r).get(c).asInt() == 0) {
                    break;
                }
                row.add(m.get(r).get(c).asInt());
            }
            out.add(row.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    List<int[]> encoderInputs() {
        return rows("input_ids", "attention_mask");
    }

    List<int[]> labels() {
        return rows("labels", null);
    }

    float[] referenceLogits(String variant) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("ref/logits.safetensors"))) {
            return r.readFloat32(variant);
        }
    }

    double referenceLoss(String variant) {
        return results.get("losses").get(variant).asDouble();
    }

    /**
     * @return per row the reference's new ids (without the decoder start)
     */
    List<int[]> referenceGenerate(String variant) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode row : results.get("generate").get(variant)) {
            int[] ids = new int[row.size() - 1];
            for (int i = 1; i < row.size(); i++) {
                ids[i - 1] = row.get(i).asInt();
            }
            out.add(ids);
        }
        return out;
    }
}
