package dev.lorahub.optim;

import java.util.List;

/**
 * A quadratic model {@code m(y) = c + g.y + y'Hy/2} fitted to points {@code y_k} (relative to a
 * center) by Powell's least-change rule (NEWUOA): it interpolates every value and, among all such
 * quadratics, has the Hessian closest to a previous one in Frobenius norm: {@code H = H0 + sum_k
 * lambda_k y_k y_k'} with {@code sum lambda_k = 0}, {@code sum lambda_k y_k = 0}. The points are
 * scaled by their largest length before solving the (m+n+1)-square KKT system, which carries a tiny
 * ridge so that a rank-deficient point set still gives a (least-norm) model.
 *
 * @param c the value at the center
 * @param g the gradient at the center
 * @param h the Hessian
 */
record QuadraticModel(double c, double[] g, double[][] h) {
    /**
     * @param ys the points relative to the center, at least one
     * @param fs their values (finite)
     * @param h0 the previous Hessian
     * @return the fitted model, or null if the system is singular
     */
    static QuadraticModel fit(List<double[]> ys, double[] fs, double[][] h0) {
        int m = ys.size();
        int n = h0.length;
        double r = 0;
        for (double[] y : ys) {
            r = Math.max(r, Math.sqrt(dot(y, y)));
        }
        if (!(r > 0)) {
            r = 1;
        }
        double[][] y = new double[m][n];
        for (int k = 0; k < m; k++) {
            for (int i = 0; i < n; i++) {
                y[k][i] = ys.get(k)[i] / r;
            }
        }
        int size = m + n + 1;
        double[][] a = new double[size][size];
        double[] b = new double[size];
        for (int k = 0; k < m; k++) {
            for (int j = 0; j < m; j++) {
                double d = dot(y[k], y[j]);
                a[k][j] = 0.5 * d * d;
            }
            a[k][k] += 1e-13;
            a[k][m] = 1;
            a[m][k] = 1;
            for (int i = 0; i < n; i++) {
                a[k][m + 1 + i] = y[k][i];
                a[m + 1 + i][k] = y[k][i];
            }
            double quad = 0;
            for (int i = 0; i < n; i++) {
                double hy = 0;
                for (int j = 0; j < n; j++) {
                    hy += h0[i][j] * y[k][j];
                }
                quad += y[k][i] * hy;
            }
            b[k] = fs[k] - 0.5 * quad * r * r;
        }
        for (int i = m; i < size; i++) {
            a[i][i] = -1e-13;
        }
        double[] sol = Dense.solve(a, b);
        if (sol == null) {
            return null;
        }
        double[][] h = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < m; k++) {
                    s += sol[k] * y[k][i] * y[k][j];
                }
                h[i][j] = h0[i][j] + s / (r * r);
            }
        }
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = sol[m + 1 + i] / r;
        }
        for (double v : g) {
            if (!Double.isFinite(v)) {
                return null;
            }
        }
        return new QuadraticModel(sol[m], g, h);
    }

    /**
     * @return {@code g.d + d'Hd/2}, the model change along d
     */
    double change(double[] d) {
        double s = dot(g, d);
        for (int i = 0; i < d.length; i++) {
            double hd = 0;
            for (int j = 0; j < d.length; j++) {
                hd += h[i][j] * d[j];
            }
            s += 0.5 * d[i] * hd;
        }
        return s;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
