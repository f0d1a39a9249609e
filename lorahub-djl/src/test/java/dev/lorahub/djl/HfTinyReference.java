package dev.lorahub.djl;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.t5.T5Model;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.SafetensorsReader;
import dev.lorahub.model.BaseModel;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One hf-tiny reference fixture (transformers + PEFT, see the fixtures' README): {@code model/},
 * {@code adapters/adapter_i}, {@code ref/merged/<name>}, {@code ref/inputs.json}, {@code
 * ref/results.json} and {@code ref/logits.safetensors} keyed by variant. The LLaMA and T5 fixture
 * helpers of the tests extend it. Constructing one fails the calling test when the fixture is
 * absent ({@link TestData#require}).
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
     * The fixture's one batch as pre-tokenized examples: each row cut at its attention mask; labels
     * aligned with the ids for a causal LM, the decoder labels whole for T5.
     *
     * @param causal true for a causal LM fixture, false for T5
     * @return one example per row
     */
    public List<FewShotExample> examples(boolean causal) {
        int[][] ids = ints(inputs.get("input_ids"));
        int[][] mask = ints(inputs.get("attention_mask"));
        int[][] labels = ints(inputs.get("labels"));
        List<FewShotExample> examples = new ArrayList<>();
        for (int r = 0; r < ids.length; r++) {
            int n = 0;
            while (n < ids[r].length && mask[r][n] == 1) {
                n++;
            }
            int[] in = Arrays.copyOf(ids[r], n);
            examples.add(
                    FewShotExample.tokenized(in, causal ? Arrays.copyOf(labels[r], n) : labels[r]));
        }
        return examples;
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

    /**
     * Asserts that tokens drawn independently follow {@code softmax(logits[off .. off + vocab) /
     * temperature)}: each token's count within 5 binomial sigmas plus 3 draws of its expected
     * count (the 3 draws keep a token of probability 1e-5 from failing on one lucky draw). A
     * uniform or greedy sampler fails it wherever the softmax is not flat.
     *
     * @param draws the drawn tokens
     * @param logits reference logits, row-major
     * @param off where the row starts
     * @param vocab the row's length
     * @param temperature the sampling temperature
     */
    public static void assertSampledFromSoftmax(
            int[] draws, float[] logits, int off, int vocab, double temperature) {
        double[] p = new double[vocab];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i] / temperature);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp(logits[off + i] / temperature - max);
            sum += p[i];
        }
        int[] counts = new int[vocab];
        for (int d : draws) {
            counts[d]++;
        }
        int n = draws.length;
        for (int i = 0; i < vocab; i++) {
            double expected = n * p[i] / sum;
            double slack = 5 * Math.sqrt(expected * (1 - p[i] / sum)) + 3;
            org.assertj.core.api.Assertions.assertThat((double) counts[i])
                    .as("count of token %d in %d draws, T %s", i, n, temperature)
                    .isBetween(expected - slack, expected + slack);
        }
    }

    /**
     * @param model a LLaMA-family or T5 model of lorahub-djl
     * @return every base weight, copied to Java, by HF name (to check weights bit-identical)
     */
    public static Map<String, float[]> baseWeights(BaseModel model) {
        Map<String, NDArray> arrays =
                model instanceof LlamaBaseModel l
                        ? l.model().weights()
                        : ((T5Model) model).weights().all();
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }
}
