package dev.lorahub.optim;

/** Small dense linear algebra for the model-based optimizers (n up to a few dozen). */
final class Dense {
    private Dense() {}

    /**
     * Solves {@code a x = b} by Gaussian elimination with partial pivoting.
     *
     * @param a square matrix, destroyed
     * @param b right-hand side, destroyed
     * @return the solution, or null if a pivot is below {@code 1e-13} times the largest entry
     */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double scale = 0;
        for (double[] row : a) {
            for (double v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        if (!(scale > 0) || !Double.isFinite(scale)) {
            return null;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            if (Math.abs(a[pivot][col]) < 1e-13 * scale) {
                return null;
            }
            double[] tr = a[col];
            a[col] = a[pivot];
            a[pivot] = tr;
            double tb = b[col];
            b[col] = b[pivot];
            b[pivot] = tb;
            for (int r = col + 1; r < n; r++) {
                double factor = a[r][col] / a[col][col];
                if (factor != 0) {
                    for (int c = col; c < n; c++) {
                        a[r][c] -= factor * a[col][c];
                    }
                    b[r] -= factor * b[col];
                }
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = b[r];
            for (int c = r + 1; c < n; c++) {
                s -= a[r][c] * x[c];
            }
            x[r] = s / a[r][r];
        }
        return x;
    }

    /**
     * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations.
     *
     * @param s symmetric matrix (not modified)
     * @param vectors receives the eigenvectors as columns, n x n
     * @return the eigenvalues, in the order of the columns
     */
    static double[] symmetricEigen(double[][] s, double[][] vectors) {
        for (int i = 0; i < vectors.length; i++) {
            java.util.Arrays.fill(vectors[i], 0);
            vectors[i][i] = 1;
        }
        return symmetricEigenFrom(s, vectors);
    }

    /**
     * Like {@link #symmetricEigen} but starts from an orthogonal basis that nearly diagonalizes
     * {@code s} (the previous eigenvectors of a slowly changing matrix), which saves most sweeps.
     *
     * @param s symmetric matrix (not modified)
     * @param vectors an orthogonal matrix on entry (columns), the eigenvectors on return
     * @return the eigenvalues, in the order of the columns
     */
    static double[] symmetricEigenFrom(double[][] s, double[][] vectors) {
        int n = s.length;
        double[][] sv = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double t = 0;
                for (int k = 0; k < n; k++) {
                    t += s[i][k] * vectors[k][j];
                }
                sv[i][j] = t;
            }
        }
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double t = 0;
                for (int k = 0; k < n; k++) {
                    t += vectors[k][i] * sv[k][j];
                }
                a[i][j] = t;
                a[j][i] = t;
            }
        }
        for (int sweep = 0; sweep < 30; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < n; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < n; j++) {
                    off += a[i][j] * a[i][j];
                }
            }
            if (off <= 1e-22 * Math.max(diag, 1e-300)) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0 || a[p][q] * a[p][q] <= 1e-30 * Math.abs(a[p][p] * a[q][q])) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t =
                            Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double sn = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - sn * akq;
                        a[k][q] = sn * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - sn * aqk;
                        a[q][k] = sn * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = vectors[k][p];
                        double vkq = vectors[k][q];
                        vectors[k][p] = c * vkp - sn * vkq;
                        vectors[k][q] = sn * vkp + c * vkq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = a[i][i];
        }
        return values;
    }
}
