package dev.flywheel.lab.decide;

/**
 * The study's pooled estimate of σ_d, the seed-to-seed standard deviation of a paired difference
 * {@code metric(experiment, seed s) − metric(parent, seed s)}, with its degrees of freedom: {@code σ_d² = sumSquares / dof}.
 *
 * <p>Why pool: with two or three pairs an experiment's own spread is nearly useless (one or two degrees of freedom
 * put the t quantile at 6 to 30), so the rule borrows the spread every earlier experiment showed. This assumes a
 * change does not alter the seed noise much, which is the same assumption the old noise floor made.
 *
 * <p>Two kinds of evidence go in. Paired differences of an experiment contribute their squared deviations from that
 * experiment's own mean (so its effect, whatever it is, cancels), {@code n − 1} degrees of freedom each. Before any
 * pair exists, a recipe's repeated seeds (the baseline's) give an <em>upper bound</em>: Var(d) = 2σ²(1 − ρ) ≤ 2σ² for
 * any seed correlation ρ ≥ 0, so {@code 2·s²} stands in, {@code n − 1} degrees of freedom. That term errs on the side
 * of discarding, and its weight fades as paired evidence accumulates.
 */
public record PairedNoise(double sumSquares, int dof) {

    /** Nothing measured yet. */
    public static final PairedNoise NONE = new PairedNoise(0, 0);

    public PairedNoise {
        if (dof < 0 || !(sumSquares >= 0)) throw new IllegalArgumentException("bad pooled noise: " + sumSquares + " over " + dof);
    }

    /** Adds one experiment's paired differences (its first {@code n} entries). */
    public PairedNoise plusPaired(double[] diffs, int n) {
        if (n < 2) return this;
        return new PairedNoise(sumSquares + centredSquares(diffs, n), dof + n - 1);
    }

    public PairedNoise plusPaired(double[] diffs) {
        return plusPaired(diffs, diffs.length);
    }

    /** Adds one recipe's metrics under different seeds as the bound 2·s² on the paired variance (see the class). */
    public PairedNoise plusUnpairedBound(double[] metrics) {
        if (metrics.length < 2) return this;
        return new PairedNoise(sumSquares + 2 * centredSquares(metrics, metrics.length), dof + metrics.length - 1);
    }

    /** σ_d, NaN while nothing is measured. */
    public double sigma() {
        return dof == 0 ? Double.NaN : Math.sqrt(sumSquares / dof);
    }

    static double centredSquares(double[] xs, int n) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += xs[i];
        mean /= n;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (xs[i] - mean) * (xs[i] - mean);
        return ss;
    }
}
