package dev.lorahub.optim;

/**
 * The trust-region subproblem: minimize {@code g.d + d'Hd/2} subject to {@code |d| <= delta},
 * solved through the eigen-decomposition of H (Moré-Sorensen without the factorizations; n is
 * small).
 */
final class TrustRegionStep {
    private TrustRegionStep() {}

    /**
     * @param g the model gradient at the center
     * @param h the model Hessian (symmetric)
     * @param delta the radius, positive
     * @param basis an orthogonal n x n matrix, ideally H's previous eigenvectors; replaced by H's
     * @return the step d, {@code |d| <= delta}
     */
    static double[] solve(double[] g, double[][] h, double delta, double[][] basis) {
        int n = g.length;
        double[][] q = basis;
        double[] lambda = Dense.symmetricEigenFrom(h, q);
        double[] gh = new double[n];
        double lmin = Double.POSITIVE_INFINITY;
        int imin = 0;
        double lmax = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < n; k++) {
                s += q[k][i] * g[k];
            }
            gh[i] = s;
            if (lambda[i] < lmin) {
                lmin = lambda[i];
                imin = i;
            }
            lmax = Math.max(lmax, Math.abs(lambda[i]));
        }
        double gnorm = 0;
        for (double v : gh) {
            gnorm += v * v;
        }
        gnorm = Math.sqrt(gnorm);
        double[] dh = new double[n];
        double tiny = 1e-12 * Math.max(lmax, 1e-12);
        if (lmin > tiny && norm(gh, lambda, 0, dh) <= delta) {
            return back(q, dh);
        }
        double lo = Math.max(0, -lmin) + tiny;
        double hi = Math.max(lo, 0) + gnorm / delta + lmax + 1;
        if (norm(gh, lambda, lo, dh) <= delta) {
            // hard case: the boundary is reached by adding the lowest eigenvector
            double len2 = 0;
            for (double v : dh) {
                len2 += v * v;
            }
            double tau = Math.sqrt(Math.max(0, delta * delta - len2));
            dh[imin] += gh[imin] > 0 ? -tau : tau;
            return back(q, dh);
        }
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi);
            if (norm(gh, lambda, mid, dh) > delta) {
                lo = mid;
            } else {
                hi = mid;
            }
            if (hi - lo <= 1e-12 * hi) {
                break;
            }
        }
        norm(gh, lambda, hi, dh);
        return back(q, dh);
    }

    /** Sets {@code dh = -gh / (lambda + mu)} and returns its length. */
    private static double norm(double[] gh, double[] lambda, double mu, double[] dh) {
        double s = 0;
        for (int i = 0; i < gh.length; i++) {
            double den = lambda[i] + mu;
            dh[i] = den > 0 ? -gh[i] / den : 0;
            s += dh[i] * dh[i];
        }
        return Math.sqrt(s);
    }

    private static double[] back(double[][] q, double[] dh) {
        int n = dh.length;
        double[] d = new double[n];
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += q[k][i] * dh[i];
            }
            d[k] = s;
        }
        return d;
    }
}
