package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The records that hold arrays compare, hash and print by content (a record's generated equals
 * compares array references, and every constructor here copies, so two equal values were never
 * equal).
 */
class ValueRecordsTest {
    @Test
    void evaluations_with_equal_points_are_equal_and_print_their_point() {
        Evaluation a = new Evaluation(3, new double[] {0.5, -1}, 2.0);
        Evaluation b = new Evaluation(3, new double[] {0.5, -1}, 2.0);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new Evaluation(3, new double[] {0.5, -2}, 2.0));
        assertThat(a).isNotEqualTo(new Evaluation(4, new double[] {0.5, -1}, 2.0));
        assertThat(a.toString()).contains("[0.5, -1.0]");
        // NaN values compare equal to themselves, as Double.equals does
        assertThat(new Evaluation(1, new double[] {0}, Double.NaN))
                .isEqualTo(new Evaluation(1, new double[] {0}, Double.NaN));
    }

    @Test
    void optimization_results_with_equal_contents_are_equal() {
        Evaluation e = new Evaluation(1, new double[] {0.25}, 1.0);
        OptimizationResult a =
                new OptimizationResult(
                        new double[] {0.25}, 1.0, 1, List.of(e), OptimizationResult.State.FAILED);
        OptimizationResult b =
                new OptimizationResult(
                        new double[] {0.25},
                        1.0,
                        1,
                        List.of(new Evaluation(1, new double[] {0.25}, 1.0)),
                        OptimizationResult.State.FAILED);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a)
                .isNotEqualTo(
                        new OptimizationResult(
                                new double[] {0.5},
                                1.0,
                                1,
                                List.of(e),
                                OptimizationResult.State.FAILED));
        assertThat(a.toString()).contains("bestPoint=[0.25]");
    }

    @Test
    void search_spaces_with_equal_boxes_are_equal() {
        SearchSpace a = SearchSpace.box(2, -1.5, 1.5, new double[2]);
        assertThat(a).isEqualTo(SearchSpace.box(2, -1.5, 1.5, new double[2]));
        assertThat(a.hashCode()).isEqualTo(SearchSpace.box(2, -1.5, 1.5, new double[2]).hashCode());
        assertThat(a).isNotEqualTo(SearchSpace.box(2, -1.5, 1.5, new double[] {0, 1}));
        assertThat(a).isNotEqualTo(SearchSpace.box(2, -1, 1.5, new double[2]));
        assertThat(a.toString()).contains("[-1.5, -1.5]").contains("[1.5, 1.5]");
    }

    @Test
    void trace_points_with_equal_weights_are_equal() {
        TracePoint a =
                new TracePoint(2, new double[] {0.1, 0.2}, 1, 1.5, 1.5, Duration.ofMillis(7));
        TracePoint b =
                new TracePoint(2, new double[] {0.1, 0.2}, 1, 1.5, 1.5, Duration.ofMillis(7));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a)
                .isNotEqualTo(
                        new TracePoint(
                                2, new double[] {0.1, 0.3}, 1, 1.5, 1.5, Duration.ofMillis(7)));
        assertThat(a.toString()).contains("[0.1, 0.2]");
    }
}
