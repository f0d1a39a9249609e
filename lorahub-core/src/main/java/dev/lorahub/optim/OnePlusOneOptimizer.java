package dev.lorahub.optim;

import dev.lorahub.SearchSpace;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The (1+1) evolution strategy with the one-fifth success rule: from the best point so far, sample
 * {@code w + s * sigma * N(0, I)} (bounced into the box as nevergrad bounces, {@code sigma = (upper
 * - lower) / 6} per coordinate), keep it if not worse; multiply the step {@code s} (initially 1) by
 * 2 after a success and by 0.84 after a failure. The first evaluation is the start point.
 */
public final class OnePlusOneOptimizer implements AskTellOptimizer {
    @Override
    public String name() {
        return "one-plus-one";
    }

    @Override
    public Session start(SearchSpace space, int budget, long seed) {
        return new BaseSession(space, budget) {
            private final SplittableRandom random = new SplittableRandom(seed);
            private double[] parent;
            private double parentValue = Double.NaN;
            private double step = 1.0;

            @Override
            protected List<double[]> propose(int remaining) {
                if (parent == null) {
                    return List.of(start());
                }
                double[] child = new double[dimension];
                for (int i = 0; i < dimension; i++) {
                    double sigma = (upper[i] - lower[i]) / 6.0;
                    double v = parent[i] + step * sigma * Gaussian.next(random);
                    child[i] = Bounce.apply(v, lower[i], upper[i]);
                }
                return List.of(child);
            }

            @Override
            protected void observe(List<double[]> points, double[] values) {
                double value = values[0];
                if (parent == null) {
                    parent = points.get(0);
                    parentValue = value;
                    return;
                }
                if (!Ranking.better(parentValue, value)) {
                    parent = points.get(0);
                    parentValue = value;
                    step *= 2;
                } else {
                    step *= 0.84;
                }
            }
        };
    }
}
