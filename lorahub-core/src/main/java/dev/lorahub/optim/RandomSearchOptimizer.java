package dev.lorahub.optim;

import dev.lorahub.SearchSpace;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random search: the start point first, then points drawn uniformly in the box, handed out in
 * batches of up to {@value #BATCH} so a backend can evaluate them together. A baseline.
 */
public final class RandomSearchOptimizer implements AskTellOptimizer {
    /** The most points one {@link Session#ask()} returns. */
    public static final int BATCH = 16;

    @Override
    public String name() {
        return "random";
    }

    @Override
    public Session start(SearchSpace space, int budget, long seed) {
        return new BaseSession(space, budget) {
            private final SplittableRandom random = new SplittableRandom(seed);
            private boolean first = true;

            @Override
            protected List<double[]> propose(int remaining) {
                if (first) {
                    first = false;
                    return List.of(start());
                }
                int count = Math.min(BATCH, remaining);
                List<double[]> points = new ArrayList<>(count);
                for (int k = 0; k < count; k++) {
                    double[] p = new double[dimension];
                    for (int i = 0; i < dimension; i++) {
                        p[i] = lower[i] + (upper[i] - lower[i]) * random.nextDouble();
                    }
                    points.add(p);
                }
                return points;
            }

            @Override
            protected void observe(List<double[]> points, double[] values) {}
        };
    }
}
