package dev.lorahub.djl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One hf-tiny reference fixture (transformers + PEFT, see the fixtures' README): {@code model/},
 * {@code adapters/adapter_i}, {@code ref/merged/<name>}, {@code ref/inputs.json}, {@code
 * ref/results.json} and {@code ref/logits.safetensors} keyed by variant. The LLaMA and T5 fixture
 * helpers of the tests extend it. Constructing one skips the calling test when the fixture is
 * absent.
 */
public class HfTinyReference {
    /** The variants with reference logits and losses: the base model, 3 adapters, 4 merges. */
    public static final List<String> VARIANTS =
            List.of(
                    "base",
                    "adapter_0",
                    "adapter_1",
                    "adapter_2",
                    "lorahub",
                    "awa_cat",
                    "awa_svd",
                    "awa_linear_absw");

    /** The fixture folder. */
    public final Path root;

    /** {@code ref/inputs.json}. */
    public final JsonNode inputs;

    /** {@code ref/results.json}. */
    public final JsonNode results;

    /**
     * @param name the fixture under the shared fixtures, e.g. {@code hf-tiny/llama}
     * @throws IOException if the JSON files cannot be read
     */
    protected HfTinyReference(String name) throws IOException {
        root = TestData.require(name);
        ObjectMapper json = new ObjectMapper();
        inputs = json.readTree(root.resolve("ref/inputs.json").toFile());
        results = json.readTree(root.resolve("ref/results.json").toFile());
    }

    /**
     * @return the variants, for {@code @MethodSource("dev.lorahub.djl.HfTinyReference#variants")}
     */
    public static List<String> variants() {
        return VARIANTS;
    }

    /**
     * @return the model folder
     */
    public Path model() {
        return root.resolve("model");
    }

    /**
     * @param variant a name of {@link #VARIANTS} other than {@code base}
     * @return the folder of its adapter: {@code adapters/adapter_i} or {@code ref/merged/name}
     */
    public Path adapterDir(String variant) {
        return variant.startsWith("adapter_")
                ? root.resolve("adapters").resolve(variant)
                : root.resolve("ref/merged").resolve(variant);
    }

    /**
     * @param variant a name of {@link #VARIANTS}
     * @return its adapter through the core PEFT loader; for {@code base} a module without layers
     * @throws IOException if the folder cannot be read
     */
    public LoraModule adapter(String variant) throws IOException {
        return variant.equals("base")
                ? new LoraModule("base", new AdapterConfig("none", 1, 1, List.of()), List.of())
                : LoraModule.load(adapterDir(variant));
    }

    /**
     * @param variant a name of {@link #VARIANTS}
     * @return its reference logits, flattened row-major
     * @throws IOException if the file cannot be read
     */
    public float[] logits(String variant) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(root.resolve("ref/logits.safetensors"))) {
            return r.readFloat32(variant);
        }
    }

    /**
     * @param rows a JSON array of int arrays
     * @return it as Java arrays
     */
    public static int[][] ints(JsonNode rows) {
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new int[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = rows.get(i).get(j).asInt();
            }
        }
        return out;
    }
}
