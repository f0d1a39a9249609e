package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.internal.GradModeThread;
import dev.lorahub.io.AdapterConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InPlaceLoraTest {
    private static float[] random(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    private static LoraModule module(String name, List<LoraLayer> layers) {
        return new LoraModule(name, new AdapterConfig("test", 4, 8, List.of("q", "v")), layers);
    }

    private static LoraLayer layer(Random rnd, String path, int out, int in, int r) {
        return new LoraLayer(
                path, r, in, out, random(rnd, r * in, 1), random(rnd, out * r, 1), 1.7, false);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void applies_scaled_b_times_a_and_restores_bit_exactly(long seed) {
        Random rnd = new Random(seed);
        int out = 5 + rnd.nextInt(20);
        int in = 3 + rnd.nextInt(20);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] q = random(rnd, out * in, 1);
            float[] v = random(rnd, in * in, 1);
            float[] other = random(rnd, 7 * in, 1);
            Map<String, NDArray> targets = new LinkedHashMap<>();
            targets.put("l.q", m.create(q, new Shape(out, in)));
            targets.put("l.v", m.create(v, new Shape(in, in)));
            targets.put("l.o", m.create(other, new Shape(7, in)));
            LoraLayer lq = layer(rnd, "l.q", out, in, 1 + rnd.nextInt(4));
            LoraLayer lv = layer(rnd, "l.v", in, in, 1 + rnd.nextInt(4));
            try (InPlaceLora lora = new InPlaceLora(targets, m)) {
                lora.apply(module("m", List.of(lq, lv)));
                assertThat(lora.isApplied()).isTrue();
                assertPatched(targets.get("l.q"), q, lq, seed);
                lora.restore();
                assertThat(lora.isApplied()).isFalse();
                assertBitEqual(targets.get("l.q").toFloatArray(), q, seed);
                assertBitEqual(targets.get("l.v").toFloatArray(), v, seed);
                assertBitEqual(targets.get("l.o").toFloatArray(), other, seed);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {21, 22, 23, 24})
    void batches_layers_of_equal_shape_with_mixed_ranks_and_fan_in_fan_out(long seed) {
        Random rnd = new Random(seed);
        int out = 3 + rnd.nextInt(6);
        int in = 2 + rnd.nextInt(6);
        int count = 7 + rnd.nextInt(6);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> targets = new LinkedHashMap<>();
            Map<String, float[]> base = new LinkedHashMap<>();
            List<LoraLayer> layers = new ArrayList<>();
            for (int l = 0; l < count; l++) {
                String path = "l" + l;
                boolean transposed = rnd.nextBoolean();
                int r = 1 + rnd.nextInt(3);
                float[] w = random(rnd, out * in, 1);
                base.put(path, w);
                targets.put(path, m.create(w, new Shape(out, in)));
                // fan_in_fan_out: the factors describe [in, out], the stored weight is [out, in]
                layers.add(
                        transposed
                                ? new LoraLayer(
                                        path,
                                        r,
                                        out,
                                        in,
                                        random(rnd, r * out, 1),
                                        random(rnd, in * r, 1),
                                        0.5 + rnd.nextDouble(),
                                        true)
                                : new LoraLayer(
                                        path,
                                        r,
                                        in,
                                        out,
                                        random(rnd, r * in, 1),
                                        random(rnd, out * r, 1),
                                        0.5 + rnd.nextDouble(),
                                        false));
            }
            try (InPlaceLora lora = new InPlaceLora(targets, m)) {
                for (int round = 0; round < 2; round++) {
                    lora.apply(module("m", layers));
                    for (LoraLayer layer : layers) {
                        assertPatched(
                                targets.get(layer.modulePath()),
                                base.get(layer.modulePath()),
                                layer,
                                seed);
                    }
                    lora.restore();
                    for (String path : base.keySet()) {
                        assertBitEqual(targets.get(path).toFloatArray(), base.get(path), seed);
                    }
                }
            }
        }
    }

    @Test
    void keeps_one_copy_of_each_targeted_weight_across_evaluations() {
        Random rnd = new Random(31);
        try (NDManager m = NDManager.newBaseManager()) {
            NDManager owner = m.newSubManager();
            float[] q = random(rnd, 6 * 4, 1);
            float[] v = random(rnd, 6 * 4, 1);
            Map<String, NDArray> targets = new LinkedHashMap<>();
            targets.put("q", m.create(q, new Shape(6, 4)));
            targets.put("v", m.create(v, new Shape(6, 4)));
            targets.put("o", m.create(random(rnd, 6 * 4, 1), new Shape(6, 4)));
            try (InPlaceLora lora = new InPlaceLora(targets, owner)) {
                assertThat(lora.keptBytes()).isZero();
                lora.with(module("a", List.of(layer(rnd, "q", 6, 4, 2))), () -> 0);
                assertThat(lora.keptBytes()).isEqualTo(6 * 4 * Float.BYTES);
                int arrays = -1;
                for (int i = 0; i < 4; i++) {
                    if (i == 1) { // q and v have been targeted once
                        arrays = ((ai.djl.ndarray.BaseNDManager) owner).getManagedArrays().size();
                    }
                    LoraModule both =
                            module(
                                    "b" + i,
                                    List.of(layer(rnd, "q", 6, 4, 2), layer(rnd, "v", 6, 4, 1)));
                    lora.apply(both);
                    lora.restore();
                    assertBitEqual(targets.get("q").toFloatArray(), q, 31);
                    assertBitEqual(targets.get("v").toFloatArray(), v, 31);
                }
                // q and v: two matrices kept, "o" was never targeted
                assertThat(lora.keptBytes()).isEqualTo(2 * 6 * 4 * Float.BYTES);
                assertThat(((ai.djl.ndarray.BaseNDManager) owner).getManagedArrays())
                        .as("the two copies, nothing more per evaluation")
                        .hasSize(arrays);
            }
        }
    }

    @Test
    void rejects_unknown_module_and_shape_mismatch_without_changing_anything() {
        Random rnd = new Random(11);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] q = random(rnd, 6 * 4, 1);
            Map<String, NDArray> targets = Map.of("l.q", m.create(q, new Shape(6, 4)));
            try (InPlaceLora lora = new InPlaceLora(targets, m)) {
                LoraModule good = module("good", List.of(layer(rnd, "l.q", 6, 4, 2)));
                LoraModule unknown =
                        module(
                                "bad",
                                List.of(layer(rnd, "l.q", 6, 4, 2), layer(rnd, "l.k", 6, 4, 2)));
                assertThatThrownBy(() -> lora.apply(unknown))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("l.k")
                        .hasMessageContaining("bad");
                LoraModule wrong = module("wrong", List.of(layer(rnd, "l.q", 4, 6, 2)));
                assertThatThrownBy(() -> lora.apply(wrong))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("4x6")
                        .hasMessageContaining("6x4");
                assertThat(lora.isApplied()).isFalse();
                assertBitEqual(targets.get("l.q").toFloatArray(), q, 11);
                lora.apply(good);
                assertThatThrownBy(() -> lora.apply(good))
                        .isInstanceOf(IllegalStateException.class);
            }
            // close() restored the applied module
            assertBitEqual(targets.get("l.q").toFloatArray(), q, 11);
        }
    }

    @Test
    void with_restores_even_when_the_body_fails() {
        Random rnd = new Random(5);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] q = random(rnd, 3 * 3, 1);
            Map<String, NDArray> targets = Map.of("q", m.create(q, new Shape(3, 3)));
            try (InPlaceLora lora = new InPlaceLora(targets, m)) {
                LoraModule mod = module("m", List.of(layer(rnd, "q", 3, 3, 1)));
                assertThatThrownBy(
                                () ->
                                        lora.with(
                                                mod,
                                                () -> {
                                                    throw new IllegalStateException("boom");
                                                }))
                        .hasMessage("boom");
                assertBitEqual(targets.get("q").toFloatArray(), q, 5);
                float sum = lora.with(mod, () -> targets.get("q").sum().getFloat());
                assertThat(sum).isNotEqualTo(0f);
            }
        }
    }

    /**
     * libtorch's grad mode is per thread and on by default; a float16 linear chooses its kernel by
     * it, so evaluations run with it off whatever thread calls them (HalfWeightsTest checks the
     * losses), and the caller's mode is given back, also when the body fails.
     */
    @Test
    void with_and_locked_run_their_body_with_grad_mode_off_and_give_the_thread_its_mode_back()
            throws Exception {
        boolean[] seen =
                GradModeThread.call(
                        true,
                        () -> {
                            Random rnd = new Random(6);
                            try (NDManager m = NDManager.newBaseManager()) {
                                Map<String, NDArray> targets =
                                        Map.of("q", m.create(random(rnd, 9, 1), new Shape(3, 3)));
                                try (InPlaceLora lora = new InPlaceLora(targets, m)) {
                                    LoraModule mod = module("m", List.of(layer(rnd, "q", 3, 3, 1)));
                                    boolean inWith = lora.with(mod, JniUtils::isGradMode);
                                    boolean afterWith = JniUtils.isGradMode();
                                    boolean inLocked = lora.locked("test", JniUtils::isGradMode);
                                    boolean afterLocked = JniUtils.isGradMode();
                                    assertThatThrownBy(
                                                    () ->
                                                            lora.with(
                                                                    mod,
                                                                    () -> {
                                                                        throw new IllegalStateException(
                                                                                "boom");
                                                                    }))
                                            .hasMessage("boom");
                                    return new boolean[] {
                                        inWith, afterWith, inLocked, afterLocked,
                                        JniUtils.isGradMode()
                                    };
                                }
                            }
                        });
        assertThat(seen).containsExactly(false, true, false, true, true);
    }

    @Test
    void repeated_apply_and_restore_attach_nothing_to_the_weights_manager() {
        Random rnd = new Random(9);
        try (NDManager m = NDManager.newBaseManager()) {
            NDManager weights = m.newSubManager();
            Map<String, NDArray> targets =
                    Map.of("q", weights.create(random(rnd, 64, 1), new Shape(8, 8)));
            try (InPlaceLora lora = new InPlaceLora(targets, m)) {
                LoraModule mod = module("m", List.of(layer(rnd, "q", 8, 8, 2)));
                int before = ((ai.djl.ndarray.BaseNDManager) weights).getManagedArrays().size();
                for (int i = 0; i < 5; i++) {
                    lora.apply(mod);
                    lora.restore();
                }
                assertThat(((ai.djl.ndarray.BaseNDManager) weights).getManagedArrays())
                        .hasSize(before);
            }
        }
    }

    @Test
    void refuses_weights_that_require_gradients_naming_them() {
        Random rnd = new Random(4);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(random(rnd, 16, 1), new Shape(4, 4));
            w.setRequiresGradient(true);
            try (InPlaceLora lora = new InPlaceLora(Map.of("q", w), m)) {
                LoraModule mod = module("m", List.of(layer(rnd, "q", 4, 4, 1)));
                assertThatThrownBy(() -> lora.apply(mod))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("'q'")
                        .hasMessageContaining("setRequiresGradient(false)");
                assertThat(lora.isApplied()).isFalse();
                w.setRequiresGradient(false);
                lora.apply(mod);
                assertThat(lora.isApplied()).isTrue();
            }
        }
    }

    /** weight == base + deltaW (as stored: [in, out] for fan_in_fan_out) within 1e-4 of scale. */
    private static void assertPatched(NDArray weight, float[] base, LoraLayer layer, long seed) {
        float[] patched = weight.toFloatArray();
        float[] delta = layer.deltaWeight();
        for (int i = 0; i < patched.length; i++) {
            // float32 matmul vs double accumulation: 1e-4 of the delta scale
            assertThat(patched[i])
                    .as("seed %d layer %s index %d", seed, layer, i)
                    .isCloseTo(
                            base[i] + delta[i],
                            org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(delta[i]))));
        }
    }

    private static void assertBitEqual(float[] actual, float[] expected, long seed) {
        assertThat(actual).as("seed %d", seed).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(Float.floatToRawIntBits(actual[i]))
                    .as("seed %d index %d", seed, i)
                    .isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
    }
}
