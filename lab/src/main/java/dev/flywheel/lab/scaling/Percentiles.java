package dev.flywheel.lab.scaling;

import java.util.Arrays;

/** Percentile intervals of bootstrap samples. */
public final class Percentiles {

    private Percentiles() {
    }

    /** The 2.5th and 97.5th percentiles (linear interpolation between order statistics), or null for no samples. */
    public static double[] interval95(double[] samples) {
        if (samples.length == 0) return null;
        var s = samples.clone();
        Arrays.sort(s);
        return new double[]{at(s, 0.025), at(s, 0.975)};
    }

    static double at(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
