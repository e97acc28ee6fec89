package dev.flywheel.lab.decide;

/**
 * What an experiment's paired seeds say about its gain over its parent. Seed s of the experiment is compared with seed
 * s of the parent recipe (same initialisation and data order where the change allows), so the noise the two runs share
 * cancels in {@code d_s = metric(experiment, s) − metric(parent, s)}. The metric is minimised, so the gain is
 * {@code −mean(d)}: positive means the experiment is better.
 *
 * <p>The standard error uses σ_d as pooled by {@link PairedNoise} — the study's history and this experiment's own runs
 * in its parent's table — with the pooled degrees of freedom for the t distribution.
 *
 * @param seeds number of pairs
 * @param gain  −mean(d), in metric units
 * @param sigma pooled σ_d (NaN if nothing is measured)
 * @param dof   degrees of freedom of σ_d (0 if nothing is measured)
 * @param se    σ_d / √seeds
 */
public record PairedEvidence(int seeds, double gain, double sigma, int dof, double se) {

    /** The evidence from the first {@code n} paired differences, with σ_d from {@code noise}. */
    public static PairedEvidence of(double[] diffs, int n, PairedNoise noise) {
        if (n < 1 || n > diffs.length) throw new IllegalArgumentException("need 1 to " + diffs.length + " pairs, got " + n);
        double mean = 0;
        for (int i = 0; i < n; i++) mean += diffs[i];
        mean /= n;
        double sigma = noise.sigma();
        return new PairedEvidence(n, -mean, sigma, noise.dof(), sigma / Math.sqrt(n));
    }

    public static PairedEvidence of(double[] diffs, PairedNoise noise) {
        return of(diffs, diffs.length, noise);
    }

    /** d_s = experiment[s] − parent[s] for each seed both have run. */
    public static double[] differences(double[] experiment, double[] parent) {
        if (experiment.length != parent.length)
            throw new IllegalArgumentException("paired seeds: " + experiment.length + " experiment runs against " + parent.length + " parent runs");
        var d = new double[experiment.length];
        for (int i = 0; i < d.length; i++) d[i] = experiment[i] - parent[i];
        return d;
    }

    public boolean measured() {
        return dof > 0 && se > 0;
    }

    /** The t statistic for "no gain". */
    public double t() {
        return gain / se;
    }

    /** One-sided p-value for H0: gain ≤ 0. */
    public double pValue() {
        return measured() ? StudentT.upperTail(t(), dof) : Double.NaN;
    }

    /** The one-sided (1 − a) lower confidence bound on the gain. */
    public double lower(double a) {
        return gain - StudentT.quantile(1 - a, dof) * se;
    }

    /** The one-sided (1 − a) upper confidence bound on the gain. */
    public double upper(double a) {
        return gain + StudentT.quantile(1 - a, dof) * se;
    }
}
