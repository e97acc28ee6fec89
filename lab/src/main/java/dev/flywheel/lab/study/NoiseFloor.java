package dev.flywheel.lab.study;

import java.util.List;

/**
 * The noise floor: the standard deviation of the metric between runs of the same recipe that differ only in their
 * seed (initialisation and data order — and, with a wall-clock budget, how many steps the machine managed). It is
 * measured on the baseline's seeds and refined by every later group of seed repeats (confirmations of close
 * calls), pooled: {@code σ² = Σ (nᵢ−1)·sᵢ² / Σ (nᵢ−1)}.
 *
 * <p>Three seeds give a rough estimate (one in ten comes out below a third of the true σ), so the σ the keep rule
 * uses is never below {@link #MIN_RELATIVE} of the baseline metric; with fewer than two finished baseline runs it
 * cannot be measured at all and {@link #UNMEASURED_RELATIVE} of the metric stands in.
 */
public final class NoiseFloor {

    /** The floor under a measured σ, as a fraction of the baseline metric. */
    public static final double MIN_RELATIVE = 0.001;
    /** σ when nothing could be measured, as a fraction of the baseline metric. */
    public static final double UNMEASURED_RELATIVE = 0.01;

    /**
     * @param measured the pooled standard deviation, or NaN when no group had two finished runs
     * @param used     what the keep rule uses
     * @param dof      degrees of freedom of the pooled estimate (0 when unmeasured)
     */
    public record Estimate(double measured, double used, int dof) {
        public String describe() {
            if (dof == 0) return String.format(java.util.Locale.ROOT, "σ %.4f (not measured: fewer than two finished seeds; "
                    + "%.0f%% of the baseline metric stands in)", used, UNMEASURED_RELATIVE * 100);
            return String.format(java.util.Locale.ROOT, "σ %.4f measured over %d degrees of freedom%s", measured, dof,
                    used > measured ? String.format(java.util.Locale.ROOT, " (the floor %.4f is used)", used) : "");
        }
    }

    private NoiseFloor() {
    }

    /** Pools the groups (each the metrics of one recipe under different seeds) against the baseline's metric. */
    public static Estimate estimate(List<List<Double>> groups, double baselineMetric) {
        double ss = 0;
        int dof = 0;
        for (var g : groups) {
            if (g.size() < 2) continue;
            double mean = g.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            for (double x : g) ss += (x - mean) * (x - mean);
            dof += g.size() - 1;
        }
        double scale = Math.abs(baselineMetric);
        if (dof == 0) return new Estimate(Double.NaN, UNMEASURED_RELATIVE * scale, 0);
        double sigma = Math.sqrt(ss / dof);
        return new Estimate(sigma, Math.max(sigma, MIN_RELATIVE * scale), dof);
    }

    /** The sample standard deviation, NaN for fewer than two values. */
    public static double std(List<Double> xs) {
        if (xs.size() < 2) return Double.NaN;
        double mean = xs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        return Math.sqrt(ss / (xs.size() - 1));
    }
}
