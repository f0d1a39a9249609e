package dev.lorahub.optim;

import java.util.SplittableRandom;

/** Standard normal samples from a {@link SplittableRandom} (Box-Muller), reproducible by seed. */
final class Gaussian {
    private Gaussian() {}

    /**
     * @return one standard normal sample
     */
    static double next(SplittableRandom random) {
        double u = 1.0 - random.nextDouble(); // (0, 1]
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
