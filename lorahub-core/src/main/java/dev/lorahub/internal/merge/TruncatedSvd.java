package dev.lorahub.internal.merge;

import org.ojalgo.array.Array1D;
import org.ojalgo.matrix.decomposition.QR;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;

/**
 * Truncated SVD of {@code D = sum_i c_i B_i A_i} without forming D, in double.
 *
 * <p>With {@code Bc = [c_1 B_1 | ... | c_N B_N]} ({@code [out, K]}, K = sum r_i) and {@code Ac} the
 * rows of all A_i ({@code [K, in]}), {@code D = Bc Ac}. Thin QR factorisations {@code Bc = Q1 R1}
 * and {@code Ac^T = Q2 R2} give {@code D = Q1 (R1 R2^T) Q2^T}; the SVD of the small {@code R1 R2^T
 * = U' S V'^T} then gives {@code D = (Q1 U') S (Q2 V')^T}, the exact SVD of D (Q1, Q2 have
 * orthonormal columns). Cost O((out + in) K^2) instead of O(out * in * min(out, in)).
 */
public final class TruncatedSvd {
    private TruncatedSvd() {}

    /**
     * The best rank-R factors of D.
     *
     * @param a {@code [rank, in]} row-major: the first R right singular vectors ({@code Vh_R})
     * @param b {@code [out, rank]} row-major: {@code U_R diag(S_R)}
     */
    public record Factors(float[] a, float[] b) {}

    /**
     * @param bs the B_i, {@code [out, r_i]} row-major
     * @param as the A_i, {@code [r_i, in]} row-major
     * @param ranks r_i
     * @param c the factors c_i
     * @param outFeatures rows of D
     * @param inFeatures columns of D
     * @param rank R; singular values beyond {@code min(K, out, in)} are zero and give zero rows and
     *     columns
     * @return {@code A = Vh_R}, {@code B = U_R diag(S_R)}, so {@code B @ A} is the best rank-R
     *     approximation of D in Frobenius norm
     */
    public static Factors of(
            float[][] bs,
            float[][] as,
            int[] ranks,
            double[] c,
            int outFeatures,
            int inFeatures,
            int rank) {
        int k = 0;
        for (int r : ranks) {
            k += r;
        }
        R064Store bc = R064Store.FACTORY.make(outFeatures, k);
        R064Store acT = R064Store.FACTORY.make(inFeatures, k);
        int col = 0;
        for (int i = 0; i < bs.length; i++) {
            int r = ranks[i];
            float[] b = bs[i];
            float[] a = as[i];
            for (int o = 0; o < outFeatures; o++) {
                for (int t = 0; t < r; t++) {
                    bc.set(o, col + t, c[i] * b[o * r + t]);
                }
            }
            for (int t = 0; t < r; t++) {
                for (int j = 0; j < inFeatures; j++) {
                    acT.set(j, col + t, a[t * inFeatures + j]);
                }
            }
            col += r;
        }
        QR<Double> qr1 = QR.R064.make(bc);
        QR<Double> qr2 = QR.R064.make(acT);
        if (!qr1.decompose(bc) || !qr2.decompose(acT)) {
            throw new ArithmeticException("QR decomposition failed");
        }
        MatrixStore<Double> q1 = qr1.getQ();
        MatrixStore<Double> q2 = qr2.getQ();
        MatrixStore<Double> small = qr1.getR().multiply(qr2.getR().transpose());
        SingularValue<Double> svd = SingularValue.R064.make(small);
        if (!svd.decompose(small)) {
            throw new ArithmeticException("SVD failed to converge");
        }
        Array1D<Double> s = svd.getSingularValues();
        MatrixStore<Double> smallU = svd.getU();
        MatrixStore<Double> smallV = svd.getV();
        int kept =
                (int)
                        Math.min(
                                rank,
                                Math.min(
                                        s.count(),
                                        Math.min(smallU.countColumns(), smallV.countColumns())));
        if (kept == 0) {
            return new Factors(new float[rank * inFeatures], new float[outFeatures * rank]);
        }
        // only the first R singular vectors are needed: Q1 U'[:, :R] and Q2 V'[:, :R]
        MatrixStore<Double> u = q1.multiply(smallU.limits((int) smallU.countRows(), kept));
        MatrixStore<Double> v = q2.multiply(smallV.limits((int) smallV.countRows(), kept));
        float[] outA = new float[rank * inFeatures];
        float[] outB = new float[outFeatures * rank];
        for (int t = 0; t < kept; t++) {
            double st = s.doubleValue(t);
            for (int o = 0; o < outFeatures; o++) {
                outB[o * rank + t] = (float) (u.doubleValue(o, t) * st);
            }
            for (int j = 0; j < inFeatures; j++) {
                outA[t * inFeatures + j] = (float) v.doubleValue(j, t);
            }
        }
        return new Factors(outA, outB);
    }

    /**
     * PEFT's {@code svd_clamp}: clamps every value of {@code f.a()} and {@code f.b()} in place to
     * {@code [-q, q]}, q = the {@code quantile} of all their values ({@code torch.quantile}, linear
     * interpolation between the two nearest ranks); as {@code torch.clamp}, a negative q sets every
     * value to q.
     *
     * @param f factors to clamp (modified)
     * @param quantile in [0, 1]
     */
    public static void clamp(Factors f, double quantile) {
        float[] a = f.a();
        float[] b = f.b();
        float[] all = new float[a.length + b.length];
        System.arraycopy(b, 0, all, 0, b.length);
        System.arraycopy(a, 0, all, b.length, a.length);
        java.util.Arrays.sort(all);
        double pos = quantile * (all.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, all.length - 1);
        float q = (float) (all[lo] + (pos - lo) * ((double) all[hi] - all[lo]));
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.min(q, Math.max(-q, a[i]));
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = Math.min(q, Math.max(-q, b[i]));
        }
    }
}
