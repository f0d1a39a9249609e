package dev.lorahub.optim;

/**
 * Powell's COBYLA (1994) for an unconstrained problem, in reverse communication: {@link #point()}
 * is the point to evaluate, {@link #advance(double)} takes its value and computes the next point.
 *
 * <p>This follows the Fortran code that scipy (up to 1.15) wraps, subroutine COBYLB, with no
 * constraints (M = 0): the penalty parameter PARMU stays 0 and the trust-region subproblem TRSTLP
 * reduces to the steepest-descent step of length RHO along the linear model's gradient. The
 * statement labels of the Fortran code are kept in comments so the two can be read side by side.
 * Variables: {@code sim[i][j]} (j &lt; n) are the displacements from the best vertex {@code
 * sim[i][n]} to the other vertices; {@code simi} is the inverse of the n x n displacement matrix;
 * {@code fv[j]} the objective at vertex j.
 */
final class CobylaEngine {
    private static final double ALPHA = 0.25;
    private static final double BETA = 2.1;
    private static final double GAMMA = 0.5;
    private static final double DELTA = 1.1;

    private final int n;
    private final double rhoEnd;
    private final double[][] sim;
    private final double[][] simi;
    private final double[] fv;
    private final double[] x;
    private final double[] a;
    private final double[] dx;
    private final double[] vsig;
    private final double[] veta;
    private double rho;
    private double parsig;
    private double prerem;
    private int nfvals;
    private int jdrop;
    private boolean trialStep;
    private boolean acceptable;
    private boolean finished;

    /** Refuses radii other than {@code 0 <= rhoEnd <= rhoBeg, rhoBeg > 0}, naming both. */
    static void checkRadii(double rhoBeg, double rhoEnd) {
        if (!(rhoBeg > 0) || !(rhoEnd >= 0) || rhoEnd > rhoBeg) {
            throw new IllegalArgumentException(
                    "need 0 <= rhoEnd <= rhoBeg and rhoBeg > 0, got rhoBeg "
                            + rhoBeg
                            + ", rhoEnd "
                            + rhoEnd);
        }
    }

    /**
     * @param x0 the start point
     * @param rhoBeg the initial simplex edge and trust-region radius
     * @param rhoEnd the final radius; 0 lets RHO halve until the budget stops the run
     */
    CobylaEngine(double[] x0, double rhoBeg, double rhoEnd) {
        checkRadii(rhoBeg, rhoEnd);
        n = x0.length;
        this.rhoEnd = rhoEnd;
        rho = rhoBeg;
        sim = new double[n][n + 1];
        simi = new double[n][n];
        fv = new double[n + 1];
        x = x0.clone();
        a = new double[n];
        dx = new double[n];
        vsig = new double[n];
        veta = new double[n];
        for (int i = 0; i < n; i++) {
            sim[i][n] = x[i];
            sim[i][i] = rho;
            simi[i][i] = 1.0 / rho;
        }
        jdrop = n;
    }

    /**
     * @return the point to evaluate next (do not modify)
     */
    double[] point() {
        return x;
    }

    /**
     * @return true once the algorithm has stopped (RHO reached RHOEND, or rounding damage)
     */
    boolean finished() {
        return finished;
    }

    /**
     * @return the best vertex of the current simplex
     */
    double[] bestVertex() {
        double[] best = new double[n];
        for (int i = 0; i < n; i++) {
            best[i] = sim[i][n];
        }
        return best;
    }

    /**
     * Takes the value at {@link #point()} and moves on to the next point to evaluate.
     *
     * @param f the objective at {@link #point()}; must be finite (the caller maps NaN/inf)
     */
    void advance(double f) {
        if (finished) {
            throw new IllegalStateException("COBYLA has finished");
        }
        nfvals++;
        if (trialStep) {
            afterTrialStep(f); // label 440
            return;
        }
        fv[jdrop] = f; // label 90
        if (nfvals <= n + 1) {
            if (initialSimplexStep(f)) {
                return;
            }
        }
        trialStep = true; // label 130 (IBRNCH = 1)
        iterate(Label.L140);
    }

    /**
     * The initial simplex, one vertex at a time. @return true if another vertex is to be evaluated
     */
    private boolean initialSimplexStep(double f) {
        if (jdrop < n) {
            if (fv[n] <= f) {
                x[jdrop] = sim[jdrop][n];
            } else {
                sim[jdrop][n] = x[jdrop];
                fv[jdrop] = fv[n];
                fv[n] = f;
                for (int k = 0; k <= jdrop; k++) {
                    sim[jdrop][k] = -rho;
                    double temp = 0;
                    for (int i = k; i <= jdrop; i++) {
                        temp -= simi[i][k];
                    }
                    simi[jdrop][k] = temp;
                }
            }
        }
        if (nfvals <= n) {
            jdrop = nfvals - 1;
            x[jdrop] += rho;
            return true;
        }
        return false;
    }

    private enum Label {
        L140,
        L370,
        L550
    }

    /** Runs from a Fortran label until a new point needs evaluating or the run ends. */
    private void iterate(Label start) {
        Label label = start;
        while (true) {
            switch (label) {
                case L140 -> {
                    if (!prepareModel()) {
                        finished = true;
                        return;
                    }
                    if (!trialStep && !acceptable) {
                        acceptabilityStep();
                        return;
                    }
                    label = Label.L370;
                }
                case L370 -> {
                    if (trustRegionStep()) {
                        return;
                    }
                    label = Label.L550;
                }
                case L550 -> {
                    if (!acceptable) {
                        trialStep = false;
                        label = Label.L140;
                    } else if (rho > rhoEnd) {
                        rho *= 0.5;
                        if (rho <= 1.5 * rhoEnd) {
                            rho = rhoEnd;
                        }
                        label = Label.L140;
                    } else {
                        finished = true;
                        return;
                    }
                }
            }
        }
    }

    /**
     * Labels 140-260: puts the best vertex in pole position, checks SIMI, computes the linear
     * model's gradient and the simplex acceptability. @return false on damaging rounding errors
     */
    private boolean prepareModel() {
        double phimin = fv[n];
        int nbest = n;
        for (int j = 0; j < n; j++) {
            if (fv[j] < phimin) {
                nbest = j;
                phimin = fv[j];
            }
        }
        if (nbest < n) {
            double t = fv[n];
            fv[n] = fv[nbest];
            fv[nbest] = t;
            for (int i = 0; i < n; i++) {
                double temp = sim[i][nbest];
                sim[i][nbest] = 0;
                sim[i][n] += temp;
                double tempa = 0;
                for (int k = 0; k < n; k++) {
                    sim[i][k] -= temp;
                    tempa -= simi[k][i];
                }
                simi[nbest][i] = tempa;
            }
        }
        double error = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double temp = i == j ? -1.0 : 0.0;
                for (int k = 0; k < n; k++) {
                    temp += simi[i][k] * sim[k][j];
                }
                error = Math.max(error, Math.abs(temp));
            }
        }
        if (error > 0.1 || Double.isNaN(error)) {
            return false;
        }
        // a = minus the gradient of the linear interpolant
        double[] w = new double[n];
        for (int j = 0; j < n; j++) {
            w[j] = fv[j] - fv[n];
        }
        for (int i = 0; i < n; i++) {
            double temp = 0;
            for (int j = 0; j < n; j++) {
                temp += w[j] * simi[j][i];
            }
            a[i] = -temp;
        }
        acceptable = true;
        parsig = ALPHA * rho;
        double pareta = BETA * rho;
        for (int j = 0; j < n; j++) {
            double wsig = 0;
            double weta = 0;
            for (int i = 0; i < n; i++) {
                wsig += simi[j][i] * simi[j][i];
                weta += sim[i][j] * sim[i][j];
            }
            vsig[j] = 1.0 / Math.sqrt(wsig);
            veta[j] = Math.sqrt(weta);
            if (vsig[j] < parsig || veta[j] > pareta) {
                acceptable = false;
            }
        }
        return true;
    }

    /** Labels 270-360: replaces a vertex to restore the simplex's shape; sets the next point. */
    private void acceptabilityStep() {
        double pareta = BETA * rho;
        jdrop = -1;
        double temp = pareta;
        for (int j = 0; j < n; j++) {
            if (veta[j] > temp) {
                jdrop = j;
                temp = veta[j];
            }
        }
        if (jdrop < 0) {
            for (int j = 0; j < n; j++) {
                if (vsig[j] < temp) {
                    jdrop = j;
                    temp = vsig[j];
                }
            }
        }
        temp = GAMMA * rho * vsig[jdrop];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            dx[i] = temp * simi[jdrop][i];
            sum += a[i] * dx[i];
        }
        // DXSIGN: with PARMU = 0 the step goes downhill on the linear model
        double sign = 0 > sum + sum ? -1.0 : 1.0;
        for (int i = 0; i < n; i++) {
            dx[i] *= sign;
        }
        replaceVertex(jdrop);
        for (int j = 0; j < n; j++) {
            x[j] = sim[j][n] + dx[j];
        }
    }

    /**
     * Labels 370-430: the trust-region step (TRSTLP without constraints: length RHO along minus the
     * gradient). @return true if a trial point was set, false to continue at label 550
     */
    private boolean trustRegionStep() {
        double norm2 = 0;
        for (int i = 0; i < n; i++) {
            norm2 += a[i] * a[i];
        }
        double norm = Math.sqrt(norm2);
        if (!(norm > 0) || !Double.isFinite(norm)) {
            // IFULL = 0 with DX = 0: shorter than RHO/2
            trialStep = true;
            return false;
        }
        double predicted = 0;
        for (int i = 0; i < n; i++) {
            dx[i] = rho * (a[i] / norm);
            predicted += a[i] * dx[i];
        }
        prerem = predicted; // PREREM = PARMU*PREREC - SUM with PARMU = 0
        for (int i = 0; i < n; i++) {
            x[i] = sim[i][n] + dx[i];
        }
        trialStep = true;
        return true;
    }

    /** Labels 440-540 and the branch to 140 or 550. */
    private void afterTrialStep(double f) {
        double trured = fv[n] - f;
        if (f == fv[n]) {
            prerem = 0;
            trured = 0;
        }
        double ratio = trured <= 0 ? 1.0 : 0.0;
        jdrop = -1;
        double[] sigbar = new double[n];
        for (int j = 0; j < n; j++) {
            double temp = 0;
            for (int i = 0; i < n; i++) {
                temp += simi[j][i] * dx[i];
            }
            temp = Math.abs(temp);
            if (temp > ratio) {
                jdrop = j;
                ratio = temp;
            }
            sigbar[j] = temp * vsig[j];
        }
        double edgmax = DELTA * rho;
        int l = -1;
        for (int j = 0; j < n; j++) {
            if (sigbar[j] >= parsig || sigbar[j] >= vsig[j]) {
                double temp = veta[j];
                if (trured > 0) {
                    temp = 0;
                    for (int i = 0; i < n; i++) {
                        double d = dx[i] - sim[i][j];
                        temp += d * d;
                    }
                    temp = Math.sqrt(temp);
                }
                if (temp > edgmax) {
                    l = j;
                    edgmax = temp;
                }
            }
        }
        if (l >= 0) {
            jdrop = l;
        }
        if (jdrop < 0) {
            iterate(Label.L550);
            return;
        }
        replaceVertex(jdrop);
        fv[jdrop] = f;
        if (trured > 0 && trured >= 0.1 * prerem) {
            iterate(Label.L140);
        } else {
            iterate(Label.L550);
        }
    }

    /** Labels 490-530 (and 320-350): vertex {@code j} becomes pole + dx; updates SIMI. */
    private void replaceVertex(int j) {
        double temp = 0;
        for (int i = 0; i < n; i++) {
            sim[i][j] = dx[i];
            temp += simi[j][i] * dx[i];
        }
        for (int i = 0; i < n; i++) {
            simi[j][i] /= temp;
        }
        for (int k = 0; k < n; k++) {
            if (k != j) {
                double t = 0;
                for (int i = 0; i < n; i++) {
                    t += simi[k][i] * dx[i];
                }
                for (int i = 0; i < n; i++) {
                    simi[k][i] -= t * simi[j][i];
                }
            }
        }
    }
}
