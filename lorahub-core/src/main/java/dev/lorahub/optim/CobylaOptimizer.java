package dev.lorahub.optim;

import dev.lorahub.SearchSpace;
import java.util.List;

/**
 * COBYLA as LoraHub's reference runs it through nevergrad's NGOpt: Powell's COBYLA (linear models
 * on a simplex, trust radius RHO from {@code rhoBeg = 1} halving towards {@code rhoEnd}) searches
 * an unbounded variable {@code x} starting at 0, and the objective sees {@code w = bounce(start +
 * sigma * x)} with {@code sigma = (upper - lower) / 6} per coordinate (0.5 on LoraHub's [-1.5,
 * 1.5]) and nevergrad's bouncing bound ({@link Bounce}). So the first N+1 evaluations are the start
 * and one probe of {@code +sigma} per axis (each probe from the best vertex so far). When COBYLA
 * stops before the budget it restarts from its best vertex, as nevergrad does.
 *
 * <p>NaN or infinite values are shown to COBYLA as the worst finite value so far plus the spread of
 * the finite values (at least 1), so the simplex moves away from them.
 */
public final class CobylaOptimizer implements AskTellOptimizer {
    private final double rhoBeg;
    private final double rhoEnd;

    /** COBYLA with nevergrad's settings: {@code rhoBeg = 1}, {@code rhoEnd = 0} (scipy tol=0). */
    public CobylaOptimizer() {
        this(1.0, 0.0);
    }

    /**
     * @param rhoBeg the initial trust radius in units of sigma, positive
     * @param rhoEnd the final trust radius in units of sigma, 0 &lt;= rhoEnd &lt;= rhoBeg
     */
    public CobylaOptimizer(double rhoBeg, double rhoEnd) {
        CobylaEngine.checkRadii(rhoBeg, rhoEnd);
        this.rhoBeg = rhoBeg;
        this.rhoEnd = rhoEnd;
    }

    @Override
    public String name() {
        return "cobyla";
    }

    @Override
    public Session start(SearchSpace space, int budget, long seed) {
        return new CobylaSession(space, budget);
    }

    private final class CobylaSession extends BaseSession {
        private final double[] origin;
        private final double[] sigma;
        private final NonFinitePenalty penalty = new NonFinitePenalty();
        private CobylaEngine engine;

        CobylaSession(SearchSpace space, int budget) {
            super(space, budget);
            origin = start();
            sigma = new double[dimension];
            for (int i = 0; i < dimension; i++) {
                sigma[i] = (upper[i] - lower[i]) / 6.0;
            }
            engine = new CobylaEngine(new double[dimension], rhoBeg, rhoEnd);
        }

        @Override
        protected List<double[]> propose(int remaining) {
            if (engine.finished()) {
                engine = new CobylaEngine(engine.bestVertex(), rhoBeg, rhoEnd);
            }
            double[] x = engine.point();
            double[] w = new double[dimension];
            for (int i = 0; i < dimension; i++) {
                w[i] = Bounce.apply(origin[i] + sigma[i] * x[i], lower[i], upper[i]);
            }
            return List.of(w);
        }

        @Override
        protected void observe(List<double[]> points, double[] values) {
            engine.advance(penalty.map(values[0]));
        }
    }
}
