package dev.lorahub.bench;

import dev.lorahub.OptimizationResult;
import dev.lorahub.Optimizer;
import dev.lorahub.SearchSpace;
import dev.lorahub.optim.Optimizers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The optimizer benchmark of {@code spec/optimizer-benchmark.md}: N = 20, box [-1.5, 1.5], start 0,
 * seeds 0..4, a fresh run per budget B in {40, 100, 400}; a cell is the median over seeds of the
 * best true value among the points evaluated (for the noisy function: the true value at the point
 * the optimizer returns). Prints the spec's table for every optimizer, the same for the added
 * functions, and per budget the geometric mean over all functions of each optimizer's cell divided
 * by cobyla's (the reference's behaviour) measured in the same run.
 *
 * <p>Usage: {@code OptimizerBenchmark [optimizer names...]} (default: all).
 */
public final class OptimizerBenchmark {
    private static final int[] BUDGETS = {40, 100, 400};
    private static final int SEEDS = 5;
    private static final String BASELINE = "cobyla";

    private OptimizerBenchmark() {}

    /**
     * @param args optimizer names, default all of {@link Optimizers#names()}
     */
    public static void main(String[] args) {
        List<String> names = args.length > 0 ? List.of(args) : Optimizers.names();
        List<String> runNames = new ArrayList<>(names);
        if (!runNames.contains(BASELINE)) {
            runNames.add(0, BASELINE);
        }
        List<BenchmarkFunction> publicFunctions =
                List.of(
                        BenchmarkFunction.sphere(),
                        BenchmarkFunction.ellipsoid(),
                        BenchmarkFunction.l1Sphere());
        List<BenchmarkFunction> extraFunctions =
                List.of(
                        BenchmarkFunction.rotatedEllipsoid(), BenchmarkFunction.rosenbrock(),
                        BenchmarkFunction.noisySphere(), BenchmarkFunction.lorahubLike());
        List<BenchmarkFunction> all = new ArrayList<>(publicFunctions);
        all.addAll(extraFunctions);

        long t0 = System.nanoTime();
        Map<String, double[][]> cells = new LinkedHashMap<>(); // name -> [function][budget]
        Map<String, Double> times = new LinkedHashMap<>();
        for (String name : runNames) {
            long start = System.nanoTime();
            double[][] c = new double[all.size()][BUDGETS.length];
            for (int f = 0; f < all.size(); f++) {
                for (int b = 0; b < BUDGETS.length; b++) {
                    c[f][b] = median(name, all.get(f), BUDGETS[b]);
                }
            }
            cells.put(name, c);
            times.put(name, (System.nanoTime() - start) / 1e9);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        System.out.println("Public functions (median over seeds 0..4 of the best true value)");
        printTable(names, cells, all, 0, publicFunctions.size());
        System.out.println();
        System.out.println("Added functions");
        printTable(names, cells, all, publicFunctions.size(), all.size());
        System.out.println();
        System.out.println(
                "Geometric mean over all "
                        + all.size()
                        + " functions of cell / cobyla's cell (below 1 = better than the reference)");
        System.out.println("| algorithm | B=40 | B=100 | B=400 | seconds for its 105 runs |");
        System.out.println("|---|---|---|---|---|");
        double[][] base = cells.get(BASELINE);
        for (String name : names) {
            StringBuilder row = new StringBuilder("| " + name + " |");
            for (int b = 0; b < BUDGETS.length; b++) {
                double logSum = 0;
                for (int f = 0; f < all.size(); f++) {
                    double ref = base[f][b] - floor(all.get(f));
                    double val = cells.get(name)[f][b] - floor(all.get(f));
                    logSum += Math.log(Math.max(val, 1e-12) / Math.max(ref, 1e-12));
                }
                row.append(String.format(Locale.ROOT, " %.3f |", Math.exp(logSum / all.size())));
            }
            row.append(String.format(Locale.ROOT, " %.1f |", times.get(name)));
            System.out.println(row);
        }
        System.out.printf(
                Locale.ROOT,
                "%n%d optimizers x %d functions x %d budgets x %d seeds in %.1f s%n",
                runNames.size(),
                all.size(),
                BUDGETS.length,
                SEEDS,
                seconds);
    }

    /**
     * The true minimum, subtracted before ratios: 0 except for l1_sphere, {@code sum (w_i - s_i)^2
     * + 0.05 |w_i|}, whose minimum is at the soft-thresholded shift {@code w_i = sign(s_i)
     * max(|s_i| - 0.025, 0)} (computed here; the spec gives f* = 0.495655).
     */
    static double floor(BenchmarkFunction f) {
        if (!f.name().equals("l1_sphere")) {
            return 0.0;
        }
        double[] s = BenchmarkFunction.shift();
        double[] w = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            w[i] = Math.signum(s[i]) * Math.max(Math.abs(s[i]) - 0.025, 0.0);
        }
        return f.truth().applyAsDouble(w);
    }

    private static double median(String name, BenchmarkFunction function, int budget) {
        double[] scores = new double[SEEDS];
        for (int seed = 0; seed < SEEDS; seed++) {
            Optimizer optimizer = Optimizers.byName(name);
            int[] calls = {0};
            ToDoubleFunction<double[]> objective = function.objective(seed);
            ToDoubleFunction<double[]> counted =
                    w -> {
                        calls[0]++;
                        for (double v : w) {
                            if (!(v >= -1.5 && v <= 1.5)) {
                                throw new IllegalStateException(
                                        name + " evaluated outside the box: " + v);
                            }
                        }
                        return objective.applyAsDouble(w);
                    };
            SearchSpace space =
                    SearchSpace.box(
                            BenchmarkFunction.N, -1.5, 1.5, new double[BenchmarkFunction.N]);
            OptimizationResult result = optimizer.minimize(counted, space, budget, seed);
            if (calls[0] > budget || result.evaluations() != calls[0]) {
                throw new IllegalStateException(
                        name
                                + " made "
                                + calls[0]
                                + " evaluations, budget "
                                + budget
                                + ", reported "
                                + result.evaluations());
            }
            scores[seed] =
                    function.noiseSd() > 0
                            ? function.truth().applyAsDouble(result.bestPoint())
                            : result.bestValue();
        }
        Arrays.sort(scores);
        return scores[SEEDS / 2];
    }

    private static void printTable(
            List<String> names,
            Map<String, double[][]> cells,
            List<BenchmarkFunction> functions,
            int from,
            int to) {
        StringBuilder header = new StringBuilder("| algorithm |");
        StringBuilder rule = new StringBuilder("|---|");
        for (int f = from; f < to; f++) {
            header.append(' ').append(functions.get(f).name()).append(" B=40 / 100 / 400 |");
            rule.append("---|");
        }
        System.out.println(header);
        System.out.println(rule);
        for (String name : names) {
            StringBuilder row = new StringBuilder("| " + name + " |");
            for (int f = from; f < to; f++) {
                double[] c = cells.get(name)[f];
                row.append(' ')
                        .append(format(c[0]))
                        .append(" / ")
                        .append(format(c[1]))
                        .append(" / ")
                        .append(format(c[2]))
                        .append(" |");
            }
            System.out.println(row);
        }
    }

    private static String format(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e4)) {
            return String.format(Locale.ROOT, "%.3g", v)
                    .replace("e+0", "e")
                    .replace("e-0", "e-")
                    .replace("e+", "e");
        }
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
