package dev.lorahub.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.SearchSpace;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Commons Math's BOBYQA behind the session bookkeeping. */
class BobyqaOptimizerTest {
    private static final int N = 20;

    @Test
    void matches_the_reference_commons_math_figure_on_the_sphere() {
        // spec/optimizer-benchmark.md, Commons Math 3.6.1 BOBYQA, n+2 points, rho0 0.5: 0.640 at
        // B = 40 and 1.4e-3 at B = 100 (deterministic); tolerance 2 %
        double[] s = new double[N];
        for (int i = 0; i < N; i++) {
            s[i] = Math.round(0.8 * Math.sin(1.7 * i + 1) * 1e4) / 1e4;
        }
        ToDoubleFunction<double[]> sphere =
                w -> {
                    double f = 0;
                    for (int i = 0; i < N; i++) {
                        f += (w[i] - s[i]) * (w[i] - s[i]);
                    }
                    return f;
                };
        SearchSpace box = SearchSpace.box(N, -1.5, 1.5, new double[N]);
        assertThat(new BobyqaOptimizer().minimize(sphere, box, 40, 0).bestValue())
                .isCloseTo(0.640, within(0.640 * 0.02));
        assertThat(new BobyqaOptimizer().minimize(sphere, box, 100, 0).bestValue())
                .isCloseTo(1.4e-3, within(1.4e-3 * 0.05));
    }

    @Test
    void closing_an_abandoned_session_ends_its_worker_thread() throws InterruptedException {
        SearchSpace box = SearchSpace.box(3, -1, 1, new double[3]);
        Session session = new BobyqaOptimizer().start(box, 50, 0);
        List<double[]> first = session.ask();
        assertThat(first).hasSize(1);
        assertThat(workers()).isNotEmpty();
        session.close();
        for (Thread t : workers()) {
            t.join(5000);
        }
        assertThat(workers()).isEmpty();
    }

    @Test
    void a_session_run_to_its_budget_leaves_no_worker_thread() throws InterruptedException {
        SearchSpace box = SearchSpace.box(3, -1, 1, new double[3]);
        Session session = new BobyqaOptimizer().start(box, 12, 0);
        for (List<double[]> b = session.ask(); !b.isEmpty(); b = session.ask()) {
            session.tell(new double[] {b.get(0)[0] * b.get(0)[0] + b.get(0)[1]});
        }
        assertThat(session.evaluations()).isEqualTo(12);
        for (Thread t : workers()) {
            t.join(5000);
        }
        assertThat(workers()).isEmpty();
    }

    private static List<Thread> workers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("lorahub-optimizer") && t.isAlive())
                .toList();
    }
}
