package dev.lorahub;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * A throwaway (1+1) evolution strategy with the one-fifth rule, for tests only, independent of
 * {@code dev.lorahub.optim}.
 */
final class LocalRandomSearch implements Optimizer {
    @Override
    public OptimizationResult minimize(
            ToDoubleFunction<double[]> objective, SearchSpace space, int budget, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] lo = space.lower();
        double[] hi = space.upper();
        double[] x = space.start();
        double fx = objective.applyAsDouble(x.clone());
        List<Evaluation> history = new ArrayList<>();
        history.add(new Evaluation(1, x, fx));
        double step = (hi[0] - lo[0]) / 6;
        for (int i = 2; i <= budget; i++) {
            double[] y = new double[x.length];
            for (int d = 0; d < y.length; d++) {
                double g =
                        Math.sqrt(-2 * Math.log(1 - rnd.nextDouble()))
                                * Math.cos(2 * Math.PI * rnd.nextDouble());
                y[d] = Math.max(lo[d], Math.min(hi[d], x[d] + step * g));
            }
            double fy = objective.applyAsDouble(y.clone());
            history.add(new Evaluation(i, y, fy));
            if (fy < fx || Double.isNaN(fx)) {
                x = y;
                fx = fy;
                step *= 1.5;
            } else {
                step *= Math.pow(1.5, -0.25);
            }
        }
        return new OptimizationResult(
                x, fx, history.size(), history, OptimizationResult.State.COMPLETED);
    }

    @Override
    public String name() {
        return "test-local-random-search";
    }
}
