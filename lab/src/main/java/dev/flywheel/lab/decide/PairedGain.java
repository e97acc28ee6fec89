package dev.flywheel.lab.decide;

/**
 * A gain estimated from paired runs, with its two-sided 95% interval: {@code d_s = reference[s] − other[s]} over
 * the seeds both arms completed (seed s of both arms had the same initialisation and data order, so the noise a seed
 * gives both cancels), the gain is mean(d), and the interval is mean(d) ± t_{0.975, n−1} · sd(d)/√n. Unlike a
 * decision ({@link PairedEvidence}) it pools no noise from elsewhere: a replication stands on its own seeds.
 *
 * <p>With the metric minimised, {@code PairedGain.of(baseline, best)} is positive when the best is better.
 *
 * @param seeds the pairs used (seeds where either arm has no metric are left out)
 * @param gain  mean of the paired differences; NaN with no pair
 * @param low   lower end of the 95% interval; NaN with fewer than two pairs
 * @param high  upper end of the 95% interval; NaN with fewer than two pairs
 */
public record PairedGain(int seeds, double gain, double low, double high) {

    public static final double LEVEL = 0.95;

    /** From the two arms' metrics by seed; a NaN in either arm drops that seed's pair. */
    public static PairedGain of(double[] reference, double[] other) {
        if (reference.length != other.length)
            throw new IllegalArgumentException("paired arms need one metric per seed each (" + reference.length
                    + " against " + other.length + ")");
        int n = 0;
        double[] d = new double[reference.length];
        for (int s = 0; s < reference.length; s++)
            if (Double.isFinite(reference[s]) && Double.isFinite(other[s])) d[n++] = reference[s] - other[s];
        return ofDifferences(java.util.Arrays.copyOf(d, n));
    }

    /** From the paired differences themselves. */
    public static PairedGain ofDifferences(double[] d) {
        int n = d.length;
        if (n == 0) return new PairedGain(0, Double.NaN, Double.NaN, Double.NaN);
        double mean = 0;
        for (double x : d) mean += x;
        mean /= n;
        if (n == 1) return new PairedGain(1, mean, Double.NaN, Double.NaN);
        double ss = 0;
        for (double x : d) ss += (x - mean) * (x - mean);
        double half = StudentT.quantile(1 - (1 - LEVEL) / 2, n - 1) * Math.sqrt(ss / (n - 1) / n);
        return new PairedGain(n, mean, mean - half, mean + half);
    }

    /** Whether the interval leaves out zero: the sign of the gain is shown at the 95% level. */
    public boolean shown() {
        return low > 0 || high < 0;
    }
}
