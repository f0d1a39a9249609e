package dev.lorahub.djl.t5;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lorahub.djl.HfTinyReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The hf-tiny/t5 reference fixture (transformers 4.36.2 + PEFT 0.10.0): inputs, reference logits,
 * losses and greedy ids per variant. Skips the calling test when the fixture is absent.
 */
final class T5Fixture extends HfTinyReference {
    private T5Fixture() throws IOException {
        super("hf-tiny/t5");
    }

    static T5Fixture require() throws IOException {
        return new T5Fixture();
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
