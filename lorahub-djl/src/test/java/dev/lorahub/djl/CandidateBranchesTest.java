package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.lorahub.Composer;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.train.SideBranch;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.model.WeightDtype;
import dev.lorahub.spi.EncodedBatch;
import dev.lorahub.spi.LinearShape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Candidates in one forward ({@link CandidateBranches}, {@code lossesInOneForward} and {@code
 * losses} of the LLaMA and T5 backends) against the one-at-a-time in-place path ({@code loss} in
 * {@link AdapterMode#IN_PLACE}), on
 * the hf-tiny fixtures and their three PEFT adapters.
 */
class CandidateBranchesTest {
    /**
     * Relative tolerance between a candidate's loss in a batched forward and alone: the in-place
     * path rounds {@code W + s B A} to float32, the branch keeps {@code s B A} apart, so they
     * differ by float rounding only (3.5e-7 at most here; each case prints its largest).
     */
    static final double RTOL = 2e-6;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String fixture : List.of("hf-tiny/llama", "hf-tiny/t5")) {
            for (int lambda : new int[] {1, 4, 8, 16}) {
                out.add(Arguments.of(fixture, lambda));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, lambda {1}")
    @MethodSource("cases")
    void each_candidate_in_one_forward_has_the_loss_it_has_alone(String fixture, int lambda)
            throws IOException {
        HfTinyReference fx = new HfTinyReference(fixture) {};
        long seed = 20261207L + 31L * lambda + fixture.length();
        List<LoraModule> candidates = randomCandidates(fx, lambda, seed);
        try (BaseModel model = inPlace(ModelBackends.load(fx.model()));
                EncodedBatch batch = model.encode(fx.examples(fixture.endsWith("llama")))) {
            double[] batched = inOneForward(model, candidates, batch);
            assertThat(batched).hasSize(lambda);
            double worst = 0;
            for (int i = 0; i < lambda; i++) {
                double alone = model.loss(candidates.get(i), batch);
                double rel = Math.abs(batched[i] - alone) / Math.abs(alone);
                worst = Math.max(worst, rel);
                assertThat(rel)
                        .as(
                                "%s seed %d candidate %d (%s): batched %s, alone %s",
                                fixture,
                                seed,
                                i,
                                candidates.get(i).name(),
                                batched[i],
                                alone)
                        .isLessThanOrEqualTo(RTOL);
            }
            System.out.printf(
                    "%s lambda %d seed %d: largest relative difference %.2e%n",
                    fixture, lambda, seed, worst);
        }
    }

    /**
     * With float16 weights the in-place path rounds {@code W + s B A} to float16 while the branch
     * adds {@code s B A} in float32 beside the float16 product, so the two differ by float16
     * rounding: 2e-3 relative (largest seen 6.8e-6 on llama, 4.8e-4 on t5). The float32 cases
     * above are the sharp check of the branch; this one shows the path runs on float16 weights.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void with_float16_weights_the_losses_agree_within_float16_rounding(String fixture)
            throws IOException {
        HfTinyReference fx = new HfTinyReference(fixture) {};
        long seed = 916L;
        List<LoraModule> candidates = randomCandidates(fx, 8, seed);
        try (BaseModel model = inPlace(ModelBackends.load(fx.model(), WeightDtype.F16));
                EncodedBatch batch = model.encode(fx.examples(fixture.endsWith("llama")))) {
            double[] batched = inOneForward(model, candidates, batch);
            double worst = 0;
            for (int i = 0; i < batched.length; i++) {
                double alone = model.loss(candidates.get(i), batch);
                double rel = Math.abs(batched[i] - alone) / Math.abs(alone);
                worst = Math.max(worst, rel);
                assertThat(rel)
                        .as("%s f16 seed %d candidate %d: %s vs %s", fixture, seed, i,
                                batched[i], alone)
                        .isLessThanOrEqualTo(2e-3);
            }
            System.out.printf(
                    "%s f16 seed %d: largest relative difference %.2e%n", fixture, seed, worst);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void losses_splits_candidates_into_forwards_of_the_chosen_size(String fixture)
            throws IOException {
        HfTinyReference fx = new HfTinyReference(fixture) {};
        List<LoraModule> candidates = randomCandidates(fx, 7, 5L);
        try (BaseModel model = inPlace(ModelBackends.load(fx.model()));
                EncodedBatch batch = model.encode(fx.examples(fixture.endsWith("llama")))) {
            perForward(model, 3);
            double[] losses = model.losses(candidates, batch);
            // 7 = 3 + 3 + 1: two forwards of three and the last one alone, in place
            double[] expected = new double[7];
            double[] first = inOneForward(model, candidates.subList(0, 3), batch);
            double[] second = inOneForward(model, candidates.subList(3, 6), batch);
            System.arraycopy(first, 0, expected, 0, 3);
            System.arraycopy(second, 0, expected, 3, 3);
            expected[6] = model.loss(candidates.get(6), batch);
            assertThat(losses).containsExactly(expected);
        }
    }

    static Stream<String> fixtures() {
        return Stream.of("hf-tiny/llama", "hf-tiny/t5");
    }

    /**
     * A non-square weight {@code [5, 7]}, targeted by candidates of ranks 1 to 3, some stored
     * {@code fan_in_fan_out} (their lora_A is {@code [r, 5]}, lora_B {@code [7, r]}): the branch of
     * each row group equals the layer with that candidate applied in place ({@link InPlaceLora}).
     */
    @Test
    void a_branch_equals_the_in_place_update_also_for_fan_in_fan_out_layers() {
        DjlRuntime.start();
        long seed = 77L;
        Random rnd = new Random(seed);
        int out = 5;
        int in = 7;
        int rows = 2;
        int tokens = 3;
        List<LoraModule> candidates = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int r = 1 + c % 3;
            boolean fan = c % 2 == 1;
            int lIn = fan ? out : in;
            int lOut = fan ? in : out;
            LoraLayer layer =
                    new LoraLayer(
                            "lin",
                            r,
                            lIn,
                            lOut,
                            gaussian(rnd, r * lIn),
                            gaussian(rnd, lOut * r),
                            0.5 + c,
                            fan);
            AdapterConfig config = new AdapterConfig("none", r, r, List.of());
            candidates.add(new LoraModule("c" + c, config, List.of(layer)));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(gaussian(rnd, out * in), new Shape(out, in));
            NDArray x = m.create(gaussian(rnd, rows * tokens * in), new Shape(rows, tokens, in));
            Map<String, LinearShape> shapes = Map.of("lin", new LinearShape(out, in));
            NDArray copies = CandidateBranches.repeatRows(x, 4);
            SideBranch branch = CandidateBranches.of(candidates, shapes, m).get("lin");
            float[] batched =
                    Linear.linear(copies, w)
                            .singletonOrThrow()
                            .add(branch.branch(copies))
                            .toFloatArray();
            int per = rows * tokens * out;
            try (InPlaceLora lora = new InPlaceLora(Map.of("lin", w), m)) {
                for (int c = 0; c < 4; c++) {
                    int k = c;
                    float[] alone =
                            lora.with(
                                    candidates.get(c),
                                    () -> Linear.linear(x, w).singletonOrThrow().toFloatArray());
                    for (int i = 0; i < per; i++) {
                        assertThat((double) batched[k * per + i])
                                .as("seed %d candidate %d value %d", seed, k, i)
                                .isCloseTo(alone[i], within(1e-5 + 1e-5 * Math.abs(alone[i])));
                    }
                }
            }
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    @Test
    void groups_respect_the_count_and_the_factor_budget() {
        LoraModule none = LoraModule.none();
        List<LoraModule> five = List.of(none, none, none, none, none);
        List<Integer> groups = new ArrayList<>();
        double[] out =
                CandidateBranches.losses(
                        five,
                        2,
                        g -> {
                            groups.add(g.size());
                            return new double[g.size()];
                        },
                        m -> {
                            groups.add(-1);
                            return 1.0;
                        });
        assertThat(groups).containsExactly(2, 2, -1);
        assertThat(out).containsExactly(0, 0, 0, 0, 1);
        assertThatThrownBy(() -> CandidateBranches.losses(five, 0, g -> null, m -> 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("candidates per forward must be at least 1, got 0");
    }

    /**
     * {@code lambda} candidates: the merge strategies in turn (so ranks differ within a forward:
     * CAT has the sum of the three ranks), weights uniform in [-1.5, 1.5], the last one (for
     * lambda > 1) the base model.
     */
    static List<LoraModule> randomCandidates(HfTinyReference fx, int lambda, long seed)
            throws IOException {
        List<LoraModule> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(fx.adapter("adapter_" + i));
        }
        MergeStrategy[] strategies = MergeStrategy.values();
        Random rnd = new Random(seed);
        List<LoraModule> out = new ArrayList<>();
        for (int c = 0; c < lambda; c++) {
            if (c == lambda - 1 && lambda > 1) {
                out.add(LoraModule.none());
                continue;
            }
            MergeStrategy s = strategies[c % strategies.length];
            Composer composer = Composer.of(s);
            if (s.needsDensity()) {
                composer = composer.density(0.5);
            }
            double[] w = new double[3];
            for (int i = 0; i < 3; i++) {
                w[i] = 3 * rnd.nextDouble() - 1.5;
            }
            out.add(composer.merge("c" + c + "-" + s, three, w));
        }
        return out;
    }

    static double[] inOneForward(BaseModel model, List<LoraModule> candidates, EncodedBatch b) {
        return ((DjlBaseModel) model).lossesInOneForward(candidates, b);
    }

    static void perForward(BaseModel model, int n) {
        ((DjlBaseModel) model).candidatesPerForward(n);
    }

    /** {@code loss} through the in-place path, the reference the batched forward is held to. */
    static BaseModel inPlace(BaseModel model) {
        ((DjlBaseModel) model).adapterMode(AdapterMode.IN_PLACE);
        return model;
    }
}
