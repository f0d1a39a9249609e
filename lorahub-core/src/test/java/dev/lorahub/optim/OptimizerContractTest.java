package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.Evaluation;
import dev.lorahub.ObjectiveException;
import dev.lorahub.OptimizationResult;
import dev.lorahub.SearchSpace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The behaviour every optimizer of {@link Optimizers#names()} promises. */
class OptimizerContractTest {
    static Stream<String> names() {
        return Optimizers.names().stream();
    }

    /** Every optimizer, with seeds 0..5 and budgets from 1 to 3N+7. */
    static Stream<Arguments> namesSeedsAndBudgets() {
        List<Arguments> cases = new ArrayList<>();
        for (String name : Optimizers.names()) {
            for (long seed = 0; seed < 6; seed++) {
                int budget = (int) new SplittableRandom(seed).nextLong(1, 3 * 7 + 8);
                cases.add(Arguments.of(name, seed, budget));
            }
        }
        return cases.stream();
    }

    /** A random box around a random start, and a shifted sphere with a tilt. */
    private static SearchSpace randomBox(long seed, int dimension) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] lo = new double[dimension];
        double[] hi = new double[dimension];
        double[] start = new double[dimension];
        for (int i = 0; i < dimension; i++) {
            lo[i] = -r.nextDouble(0.1, 3);
            hi[i] = r.nextDouble(0.1, 3);
            start[i] = r.nextDouble(lo[i], hi[i]);
        }
        return new SearchSpace(lo, hi, start);
    }

    private static double farSphere(double[] w) {
        double f = 0;
        for (int i = 0; i < w.length; i++) {
            double d = w[i] - 5.0 * (i % 2 == 0 ? 1 : -1); // optimum outside every box
            f += d * d;
        }
        return f;
    }

    @ParameterizedTest
    @MethodSource("namesSeedsAndBudgets")
    void never_exceeds_the_budget_and_never_leaves_the_box(String name, long seed, int budget) {
        SearchSpace space = randomBox(seed, 7);
        double[] lo = space.lower();
        double[] hi = space.upper();
        List<double[]> seen = new ArrayList<>();
        OptimizationResult result =
                Optimizers.byName(name)
                        .minimize(
                                w -> {
                                    seen.add(w.clone());
                                    return farSphere(w);
                                },
                                space,
                                budget,
                                seed);

        String where = name + " seed " + seed + " budget " + budget;
        assertThat(seen).as(where).hasSizeLessThanOrEqualTo(budget);
        assertThat(result.evaluations()).as(where).isEqualTo(seen.size());
        assertThat(result.history()).as(where).hasSize(seen.size());
        for (double[] w : seen) {
            for (int i = 0; i < w.length; i++) {
                assertThat(w[i]).as(where + " coordinate " + i).isBetween(lo[i], hi[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("namesSeedsAndBudgets")
    void returns_the_best_point_it_evaluated(String name, long seed, int budget) {
        SearchSpace space = randomBox(seed, 7);
        OptimizationResult result =
                Optimizers.byName(name)
                        .minimize(OptimizerContractTest::farSphere, space, budget, seed);
        double min = result.history().stream().mapToDouble(Evaluation::value).min().orElseThrow();
        assertThat(result.bestValue()).as(name + " seed " + seed).isEqualTo(min);
        assertThat(farSphere(result.bestPoint())).as(name + " seed " + seed).isEqualTo(min);
    }

    @ParameterizedTest
    @MethodSource("names")
    void is_deterministic_for_a_seed(String name) {
        SearchSpace space = randomBox(3, 6);
        ToDoubleFunction<double[]> f = OptimizerContractTest::farSphere;
        OptimizationResult a = Optimizers.byName(name).minimize(f, space, 50, 11);
        OptimizationResult b = Optimizers.byName(name).minimize(f, space, 50, 11);
        assertThat(a.history()).hasSameSizeAs(b.history());
        for (int i = 0; i < a.history().size(); i++) {
            assertThat(a.history().get(i).point())
                    .as(name + " evaluation " + i)
                    .containsExactly(b.history().get(i).point());
        }
        assertThat(a.bestValue()).isEqualTo(b.bestValue());
    }

    @ParameterizedTest
    @MethodSource("names")
    void ranks_nan_and_infinite_values_below_every_finite_value(String name) {
        // NaN on the half-space w0 > 0.3, +inf and -inf on thin slabs, a sphere elsewhere;
        // model-based optimizers stay near their start and never reach the slabs, so besides
        // them about 3 in 8 other points (by a hash of the point, start excepted) are NaN, -inf
        // or +inf: every optimizer meets all three kinds (asserted below)
        ToDoubleFunction<double[]> f =
                w -> {
                    if (w[0] > 0.3) {
                        return Double.NaN;
                    }
                    if (w[1] > 0.6) {
                        return Double.NEGATIVE_INFINITY;
                    }
                    if (w[2] < -0.6) {
                        return Double.POSITIVE_INFINITY;
                    }
                    if (!Arrays.equals(w, new double[w.length])) {
                        int h = Arrays.hashCode(w);
                        h ^= h >>> 16;
                        h *= 0x45d9f3b;
                        h ^= h >>> 16;
                        switch (Math.floorMod(h, 8)) {
                            case 0 -> {
                                return Double.NaN;
                            }
                            case 1 -> {
                                return Double.NEGATIVE_INFINITY;
                            }
                            case 2 -> {
                                return Double.POSITIVE_INFINITY;
                            }
                            default -> {}
                        }
                    }
                    double s = 0;
                    for (double v : w) {
                        s += (v - 0.5) * (v - 0.5);
                    }
                    return s;
                };
        SearchSpace space = SearchSpace.box(5, -1.5, 1.5, new double[5]);
        OptimizationResult result = Optimizers.byName(name).minimize(f, space, 80, 2);

        // the property only bites if the run met all three kinds of non-finite value
        assertThat(result.history())
                .as(name + ": evaluated NaN, -inf and +inf")
                .anyMatch(e -> Double.isNaN(e.value()))
                .anyMatch(e -> e.value() == Double.NEGATIVE_INFINITY)
                .anyMatch(e -> e.value() == Double.POSITIVE_INFINITY);
        assertThat(result.bestValue()).as(name).isFinite();
        assertThat(result.state()).as(name).isNotEqualTo(OptimizationResult.State.FAILED);
        double bestFinite =
                result.history().stream()
                        .mapToDouble(Evaluation::value)
                        .filter(Double::isFinite)
                        .min()
                        .orElseThrow();
        assertThat(result.bestValue()).as(name).isEqualTo(bestFinite);
        assertThat(result.bestValue())
                .as(name + ": no worse than the start")
                .isLessThanOrEqualTo(1.25);
    }

    @ParameterizedTest
    @MethodSource("names")
    void reports_failed_when_no_value_is_finite(String name) {
        SearchSpace space = SearchSpace.box(3, -1, 1, new double[3]);
        OptimizationResult result = Optimizers.byName(name).minimize(w -> Double.NaN, space, 12, 0);
        assertThat(result.state()).isEqualTo(OptimizationResult.State.FAILED);
        assertThat(result.evaluations()).isEqualTo(12);
    }

    @ParameterizedTest
    @MethodSource("names")
    void wraps_an_objective_failure_with_its_evaluation_number_and_point(String name) {
        SearchSpace space = SearchSpace.box(4, -1, 1, new double[4]);
        List<double[]> seen = new ArrayList<>();
        IllegalStateException boom = new IllegalStateException("model fell over");
        assertThatThrownBy(
                        () ->
                                Optimizers.byName(name)
                                        .minimize(
                                                w -> {
                                                    seen.add(w.clone());
                                                    if (seen.size() == 7) {
                                                        throw boom;
                                                    }
                                                    return farSphere(w);
                                                },
                                                space,
                                                30,
                                                5))
                .isInstanceOfSatisfying(
                        ObjectiveException.class,
                        e -> {
                            assertThat(e.evaluation()).isEqualTo(7);
                            assertThat(e.point()).containsExactly(seen.get(6));
                            assertThat(e.getMessage())
                                    .contains("evaluation 7")
                                    .contains("model fell over");
                        })
                .hasCause(boom);
    }

    @ParameterizedTest
    @MethodSource("names")
    void ask_tell_evaluates_the_same_points_as_minimize(String name) {
        SearchSpace space = randomBox(9, 5);
        OptimizationResult direct =
                Optimizers.byName(name).minimize(OptimizerContractTest::farSphere, space, 45, 4);

        Session session = Optimizers.byName(name).start(space, 45, 4);
        List<double[]> asked = new ArrayList<>();
        for (List<double[]> batch = session.ask(); !batch.isEmpty(); batch = session.ask()) {
            assertThat(batch.size()).isLessThanOrEqualTo(45 - session.evaluations());
            double[] values =
                    batch.stream().mapToDouble(OptimizerContractTest::farSphere).toArray();
            asked.addAll(batch);
            session.tell(values);
        }
        assertThat(session.isFinished()).isTrue();
        assertThat(asked).hasSize(direct.evaluations());
        for (int i = 0; i < asked.size(); i++) {
            assertThat(asked.get(i))
                    .as(name + " evaluation " + i)
                    .containsExactly(direct.history().get(i).point());
        }
        assertThat(session.result().bestValue()).isEqualTo(direct.bestValue());
    }

    @ParameterizedTest
    @MethodSource("names")
    void tells_the_listener_every_evaluation_with_the_best_so_far(String name) {
        SearchSpace space = SearchSpace.box(4, -1, 1, new double[4]);
        List<Evaluation> told = new ArrayList<>();
        List<Double> bests = new ArrayList<>();
        OptimizationResult result =
                Optimizers.byName(name)
                        .minimize(
                                OptimizerContractTest::farSphere,
                                space,
                                25,
                                1,
                                (e, best, budget) -> {
                                    assertThat(budget).isEqualTo(25);
                                    told.add(e);
                                    bests.add(best.value());
                                });
        assertThat(told).hasSize(result.evaluations());
        double running = Double.POSITIVE_INFINITY;
        for (int i = 0; i < told.size(); i++) {
            assertThat(told.get(i).index()).isEqualTo(i + 1);
            running = Math.min(running, told.get(i).value());
            assertThat(bests.get(i)).isEqualTo(running);
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void refuses_a_budget_below_one(String name) {
        SearchSpace space = SearchSpace.box(2, -1, 1, new double[2]);
        assertThatThrownBy(() -> Optimizers.byName(name).minimize(w -> 0, space, 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0");
    }
}
