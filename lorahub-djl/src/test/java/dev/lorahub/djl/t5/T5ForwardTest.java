package dev.lorahub.djl.t5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.djl.internal.FreedBuffers;
import dev.lorahub.djl.train.LoraPair;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * T5Forward on random models against {@link NaiveT5} (float64, one unpadded example at a time).
 * Sources up to 24 tokens and targets of 20 reach the log-spaced position buckets of both stacks
 * (encoder exact below 8, decoder below 16). Tolerance: max |diff| <= 1e-4 * max(1, max |ref|), the
 * fixture README's criterion for float32 logits.
 */
class T5ForwardTest {
    private static final int[] SOURCE_LENGTHS = {24, 13, 5};
    private static final int TARGET = 20;

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of(T5Activation.GELU_NEW, true, false, 2, 2, 11L), // v1.1 / Flan-T5
                Arguments.of(T5Activation.RELU, false, true, 2, 1, 12L), // original T5
                Arguments.of(T5Activation.GELU, true, true, 1, 3, 13L),
                Arguments.of(T5Activation.SILU, false, false, 3, 2, 14L));
    }

    @ParameterizedTest(name = "{0} gated={1} tied={2} layers={3}+{4} seed={5}")
    @MethodSource("variants")
    void padded_batch_logits_match_a_float64_reference_per_example(
            T5Activation act, boolean gated, boolean tied, int enc, int dec, long seed) {
        RandomT5 random = new RandomT5(RandomT5.config(act, gated, tied, enc, dec), seed);
        Inputs in = new Inputs(random.config, seed);
        NaiveT5 naive = new NaiveT5(random.config, random.floats);
        try (NDManager m = NDManager.newBaseManager()) {
            T5Forward forward = new T5Forward(random.weights(m));
            float[] got;
            try (NDManager call = m.newSubManager()) {
                got = forward.logits(in.ids(call), in.mask(call), in.decoder(call)).toFloatArray();
            }
            int v = random.config.vocabSize();
            for (int b = 0; b < SOURCE_LENGTHS.length; b++) {
                double[][] ref = naive.logits(in.sources[b], in.targets[b]);
                double scale = 1;
                double maxDiff = 0;
                for (int t = 0; t < TARGET; t++) {
                    for (int j = 0; j < v; j++) {
                        scale = Math.max(scale, Math.abs(ref[t][j]));
                        maxDiff =
                                Math.max(
                                        maxDiff,
                                        Math.abs(ref[t][j] - got[(b * TARGET + t) * v + j]));
                    }
                }
                assertThat(maxDiff).as("seed %d row %d", seed, b).isLessThanOrEqualTo(1e-4 * scale);
            }
        }
    }

    @Test
    void incremental_decoding_with_the_cache_equals_the_full_pass() {
        RandomT5 random =
                new RandomT5(RandomT5.config(T5Activation.GELU_NEW, true, false, 2, 2), 21L);
        Inputs in = new Inputs(random.config, 21L);
        try (NDManager m = NDManager.newBaseManager()) {
            T5Forward forward = new T5Forward(random.weights(m));
            try (NDManager call = m.newSubManager()) {
                NDArray mask = in.mask(call);
                NDArray encoded = forward.encode(in.ids(call), mask);
                float[] full = forward.decode(in.decoder(call), encoded, mask, null).toFloatArray();
                T5DecoderCache cache = new T5DecoderCache(2);
                int b = SOURCE_LENGTHS.length;
                int v = random.config.vocabSize();
                for (int t = 0; t < TARGET; t++) {
                    long[] step = new long[b];
                    for (int r = 0; r < b; r++) {
                        step[r] = in.targets[r][t];
                    }
                    float[] got =
                            forward.decode(call.create(step, new Shape(b, 1)), encoded, mask, cache)
                                    .toFloatArray();
                    for (int r = 0; r < b; r++) {
                        for (int j = 0; j < v; j++) {
                            assertThat(got[r * v + j])
                                    .as("step %d row %d", t, r)
                                    .isCloseTo(full[(r * TARGET + t) * v + j], within(1e-4f));
                        }
                    }
                }
                assertThat(cache.length()).isEqualTo(TARGET);
            }
        }
    }

    @Test
    void lora_factors_give_the_logits_of_the_patched_weight_and_true_gradients() {
        T5Config config = RandomT5.config(T5Activation.GELU_NEW, true, false, 1, 1);
        RandomT5 random = new RandomT5(config, 31L);
        Inputs in = new Inputs(config, 31L);
        String module = "decoder.block.0.layer.1.EncDecAttention.v";
        Random r = new Random(32L);
        float[] a = new float[4 * 16];
        float[] b = new float[16 * 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (0.3 * r.nextGaussian());
            b[i] = (float) (0.3 * r.nextGaussian());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray la = m.create(a, new Shape(4, 16));
            NDArray lb = m.create(b, new Shape(16, 4));
            T5Weights weights = random.weights(m);
            T5Forward withLora = new T5Forward(weights, Map.of(module, new LoraPair(la, lb, 2f)));
            float[] viaFactors;
            try (NDManager call = m.newSubManager()) {
                viaFactors =
                        withLora.logits(in.ids(call), in.mask(call), in.decoder(call))
                                .toFloatArray();
            }
            NDArray w = weights.get(module + ".weight");
            w.addi(lb.matMul(la).mul(2f));
            float[] viaPatch;
            try (NDManager call = m.newSubManager()) {
                viaPatch =
                        new T5Forward(weights)
                                .logits(in.ids(call), in.mask(call), in.decoder(call))
                                .toFloatArray();
            }
            for (int i = 0; i < viaPatch.length; i++) {
                assertThat(viaFactors[i]).isCloseTo(viaPatch[i], within(1e-4f));
            }
            w.subi(lb.matMul(la).mul(2f));

            // d loss / d B[3, 1] by autograd against a central difference in B (h = 1e-2, float32)
            lb.setRequiresGradient(true);
            float analytic;
            try (NDManager call = m.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = lossOf(withLora, in, call);
                gc.backward(loss);
                analytic = lb.getGradient().getFloat(3, 1);
            }
            float h = 1e-2f;
            float[] plus = b.clone();
            plus[3 * 4 + 1] += h;
            float[] minus = b.clone();
            minus[3 * 4 + 1] -= h;
            float lp;
            float lm;
            try (NDManager call = m.newSubManager()) {
                var fp =
                        new T5Forward(
                                weights,
                                Map.of(
                                        module,
                                        new LoraPair(la, call.create(plus, new Shape(16, 4)), 2f)));
                var fm =
                        new T5Forward(
                                weights,
                                Map.of(
                                        module,
                                        new LoraPair(
                                                la, call.create(minus, new Shape(16, 4)), 2f)));
                lp = lossOf(fp, in, call).getFloat();
                lm = lossOf(fm, in, call).getFloat();
            }
            float numeric = (lp - lm) / (2 * h);
            assertThat(analytic).isNotZero();
            assertThat(analytic).isCloseTo(numeric, within(2e-3f + 0.01f * Math.abs(numeric)));
        }
    }

    /**
     * Regression test for the use-after-free described in {@link dev.lorahub.djl.internal.Scalars}:
     * freed buffers are collected and their memory refilled with NaN bytes between forward and
     * backward; the LoRA gradients must not change (bit for bit). GELU_NEW and GELU with tied
     * embeddings cover every scalar operand of the forward.
     */
    @ParameterizedTest(name = "{0} tied={1}")
    @MethodSource("scalarVariants")
    void lora_gradients_do_not_change_when_freed_buffers_are_reused_before_backward(
            T5Activation act, boolean tied) throws InterruptedException {
        T5Config config = RandomT5.config(act, true, tied, 1, 1);
        RandomT5 random = new RandomT5(config, 41L);
        Inputs in = new Inputs(config, 41L);
        try (NDManager m = NDManager.newBaseManager()) {
            T5Weights weights = random.weights(m);
            float[][] reference = loraGradients(weights, in, m, false);
            float[][] scrubbed = loraGradients(weights, in, m, true);
            for (int f = 0; f < 2; f++) {
                for (float v : scrubbed[f]) {
                    assertThat(Float.isFinite(v)).as("%s factor %d finite", act, f).isTrue();
                }
                assertThat(scrubbed[f]).as("%s factor %d", act, f).containsExactly(reference[f]);
            }
        }
    }

    static Stream<Arguments> scalarVariants() {
        return Stream.of(
                Arguments.of(T5Activation.GELU_NEW, false), Arguments.of(T5Activation.GELU, true));
    }

    /** {dL/dA, dL/dB} of a LoRA pair on the decoder's cross-attention value projection. */
    private static float[][] loraGradients(T5Weights weights, Inputs in, NDManager m, boolean scrub)
            throws InterruptedException {
        Random r = new Random(42L);
        float[] a = new float[4 * 16];
        float[] b = new float[16 * 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (0.3 * r.nextGaussian());
            b[i] = (float) (0.3 * r.nextGaussian());
        }
        try (NDManager call = m.newSubManager()) {
            NDArray la = call.create(a, new Shape(4, 16));
            NDArray lb = call.create(b, new Shape(16, 4));
            la.setRequiresGradient(true);
            lb.setRequiresGradient(true);
            T5Forward f =
                    new T5Forward(
                            weights,
                            Map.of(
                                    "decoder.block.0.layer.1.EncDecAttention.v",
                                    new LoraPair(la, lb, 2f)));
            List<ByteBuffer> filler = List.of();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = lossOf(f, in, call);
                if (scrub) {
                    filler = FreedBuffers.collectAndRefillWithNaN();
                }
                gc.backward(loss);
            }
            float[][] out = {la.getGradient().toFloatArray(), lb.getGradient().toFloatArray()};
            assertThat(filler).hasSize(scrub ? 20_000 : 0); // kept alive until here
            return out;
        }
    }

    private static NDArray lossOf(T5Forward f, Inputs in, NDManager call) {
        NDArray logits = f.logits(in.ids(call), in.mask(call), in.decoder(call));
        long[] labels = new long[SOURCE_LENGTHS.length * TARGET];
        for (int b = 0; b < SOURCE_LENGTHS.length; b++) {
            for (int t = 0; t < TARGET; t++) {
                labels[b * TARGET + t] = t + 1 < TARGET ? in.targets[b][t + 1] : 1;
            }
        }
        return CrossEntropy.aligned(
                logits, call.create(labels, new Shape(SOURCE_LENGTHS.length, TARGET)));
    }

    /** Three examples of different source lengths, right-padded with 0, and random targets. */
    private static final class Inputs {
        final int[][] sources = new int[SOURCE_LENGTHS.length][];
        final int[][] targets = new int[SOURCE_LENGTHS.length][TARGET];

        Inputs(T5Config c, long seed) {
            Random r = new Random(seed * 7919);
            for (int b = 0; b < SOURCE_LENGTHS.length; b++) {
                sources[b] = r.ints(SOURCE_LENGTHS[b], 2, c.vocabSize()).toArray();
                targets[b] = r.ints(TARGET, 0, c.vocabSize()).toArray();
            }
        }

        NDArray ids(NDManager m) {
            int s = SOURCE_LENGTHS[0];
            long[] flat = new long[SOURCE_LENGTHS.length * s];
            for (int b = 0; b < SOURCE_LENGTHS.length; b++) {
                for (int i = 0; i < sources[b].length; i++) {
                    flat[b * s + i] = sources[b][i];
                }
            }
            return m.create(flat, new Shape(SOURCE_LENGTHS.length, s));
        }

        NDArray mask(NDManager m) {
            int s = SOURCE_LENGTHS[0];
            int[] mask = new int[SOURCE_LENGTHS.length * s];
            for (int b = 0; b < SOURCE_LENGTHS.length; b++) {
                for (int i = 0; i < sources[b].length; i++) {
                    mask[b * s + i] = 1;
                }
            }
            return T5Forward.maskBias(m, mask, SOURCE_LENGTHS.length, s);
        }

        NDArray decoder(NDManager m) {
            long[] flat = new long[SOURCE_LENGTHS.length * TARGET];
            for (int b = 0; b < SOURCE_LENGTHS.length; b++) {
                for (int t = 0; t < TARGET; t++) {
                    flat[b * TARGET + t] = targets[b][t];
                }
            }
            return m.create(flat, new Shape(SOURCE_LENGTHS.length, TARGET));
        }
    }
}
