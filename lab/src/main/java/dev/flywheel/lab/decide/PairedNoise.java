package dev.flywheel.lab.decide;

/**
 * The study's pooled estimate of σ_d, the seed-to-seed standard deviation of a paired difference
 * {@code metric(experiment, seed s) − metric(parent, seed s)}, with its degrees of freedom:
 * {@code σ_d² = sumSquares / dof}.
 *
 * <p>Why pool: with two or three pairs an experiment's own spread is nearly useless (one or two degrees of freedom put
 * the t quantile at 6 to 30), so the rule borrows the spread every other experiment showed. This assumes a change does
 * not alter the seed noise much, which is the assumption the old noise floor made too.
 *
 * <p>Why a table and not a sum over experiments: every experiment paired with the same parent shares the parent's
 * runs, so their differences share the parent's noise. Adding up each experiment's {@code Σ(d_s − d̄)²} is unbiased
 * but claims {@code Σ(n_i − 1)} degrees of freedom where there are far fewer (with many experiments on a parent's n
 * seeds, about 4(n − 1)), and a t quantile on the claimed dof lets false keeps through. So the runs on one parent's
 * seeds — the parent and every experiment paired with it — are read as one recipe × seed table and fitted with the
 * additive model {@code metric = recipe effect + seed effect + residual}; the residual variance τ² is the noise a seed
 * does <em>not</em> share between recipes, and {@code σ_d² = 2τ²} with the table's residual degrees of freedom
 * ({@code runs − recipes − seeds + 1}). Tables of different parents (fresh seeds after each keep) are independent
 * and simply add.
 *
 * <p>Before any pair exists, a recipe's repeated seeds (the baseline's) give an <em>upper bound</em>:
 * Var(d) = 2σ²(1 − ρ) ≤ 2σ² for any seed correlation ρ ≥ 0, so {@code 2·s²} stands in with {@code n − 1} degrees of
 * freedom. It errs on the side of discarding and its weight fades as tables accumulate.
 */
public record PairedNoise(double sumSquares, int dof) {

    /** Nothing measured yet. */
    public static final PairedNoise NONE = new PairedNoise(0, 0);

    public PairedNoise {
        if (dof < 0 || !(sumSquares >= 0))
            throw new IllegalArgumentException("bad pooled noise: " + sumSquares + " over " + dof + " dof");
    }

    public PairedNoise plus(PairedNoise other) {
        return new PairedNoise(sumSquares + other.sumSquares, dof + other.dof);
    }

    /** σ_d, NaN while nothing is measured. */
    public double sigma() {
        return dof == 0 ? Double.NaN : Math.sqrt(sumSquares / dof);
    }

    /** Paired degrees of freedom from which the tables alone estimate σ_d, and the bound is set aside. */
    public static final int TABLE_DOF_ALONE = 2;

    /**
     * σ_d for a decision: the tables' own estimate once they have {@link #TABLE_DOF_ALONE} degrees of freedom, else
     * the tables pooled with the unpaired bound. The bound assumes no seed correlation; when the same seed gives both
     * arms the same initialisation and data order, the correlation is near 1 (measured on real runs: paired
     * differences of no-effect changes ~0.005 bpb against a run-to-run σ of ~0.08), so a bound kept in the pool would
     * stand at many times the real σ_d for the whole study and hide every gain below it.
     */
    public static PairedNoise forDecision(PairedNoise bound, PairedNoise tables) {
        // a table without residual spread (identical differences: a scripted or degenerate run) measures nothing
        return tables.dof() >= TABLE_DOF_ALONE && tables.sumSquares() > 0 ? tables : bound.plus(tables);
    }

    /** One recipe's metrics under different seeds, as the bound 2·s² on the paired variance (see the class). */
    public static PairedNoise unpairedBound(double[] metrics) {
        if (metrics.length < 2) return NONE;
        return new PairedNoise(2 * centredSquares(metrics, metrics.length), metrics.length - 1);
    }

    /**
     * The paired noise in one parent's table. {@code rows[r][s]} is recipe r's metric on the table's s-th seed; a row
     * may be shorter than others (that recipe ran only the first seeds), which is how a sequential experiment looks.
     * One row should be the parent, which has run every seed any other row has. Rows of one run say nothing about
     * noise and are ignored; so is everything when there is no residual degree of freedom.
     */
    public static PairedNoise ofTable(double[]... rows) {
        int m = 0, runs = 0, recipes = 0;
        for (var r : rows) if (r.length >= 2) m = Math.max(m, r.length);
        if (m < 2) return NONE;
        // minimise Σ_r ‖P_r (x_r − b)‖² over the seed effects b, where P_r centres a row on its own seeds (which
        // profiles out the recipe effect): normal equations C·b = c with C = Σ P_r and c = Σ P_r x_r
        var cMat = new double[m][m];
        var c = new double[m];
        double within = 0;
        for (var r : rows) {
            int n = r.length;
            if (n < 2) continue;
            recipes++;
            runs += n;
            double mean = 0;
            for (double x : r) mean += x;
            mean /= n;
            for (int s = 0; s < n; s++) {
                double dev = r[s] - mean;
                within += dev * dev;
                c[s] += dev;
                for (int t = 0; t < n; t++) cMat[s][t] += (s == t ? 1 : 0) - 1.0 / n;
            }
        }
        int dof = runs - recipes - m + 1;
        if (dof <= 0) return NONE;
        // C is singular along the all-ones vector (a common shift of every seed effect changes nothing), and c is
        // orthogonal to it: adding 1·1ᵀ pins Σb = 0 and leaves the minimum alone
        for (int s = 0; s < m; s++) for (int t = 0; t < m; t++) cMat[s][t] += 1;
        var b = solve(cMat, c.clone());
        double explained = 0;
        for (int s = 0; s < m; s++) explained += b[s] * c[s];
        double residual = Math.max(0, within - explained);   // rounding can push an exact fit a hair below 0
        return new PairedNoise(2 * residual, dof);
    }

    static double centredSquares(double[] xs, int n) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += xs[i];
        mean /= n;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (xs[i] - mean) * (xs[i] - mean);
        return ss;
    }

    /** Gaussian elimination with partial pivoting; a is m×m and positive definite here, so it is small and safe. */
    private static double[] solve(double[][] a, double[] y) {
        int m = y.length;
        for (int k = 0; k < m; k++) {
            int p = k;
            for (int i = k + 1; i < m; i++) if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
            var row = a[k]; a[k] = a[p]; a[p] = row;
            double t = y[k]; y[k] = y[p]; y[p] = t;
            for (int i = k + 1; i < m; i++) {
                double f = a[i][k] / a[k][k];
                if (f == 0) continue;
                for (int j = k; j < m; j++) a[i][j] -= f * a[k][j];
                y[i] -= f * y[k];
            }
        }
        var x = new double[m];
        for (int k = m - 1; k >= 0; k--) {
            double s = y[k];
            for (int j = k + 1; j < m; j++) s -= a[k][j] * x[j];
            x[k] = s / a[k][k];
        }
        return x;
    }
}
