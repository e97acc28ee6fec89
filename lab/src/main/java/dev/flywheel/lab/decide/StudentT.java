package dev.flywheel.lab.decide;

import org.hipparchus.distribution.continuous.TDistribution;
import org.hipparchus.special.Beta;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Student's t distribution, the two numbers the decision rule needs. The tail is computed directly (one incomplete
 * beta); quantiles are memoised because a study asks for the same few (level, dof) pairs over and over, and the Monte
 * Carlo asks for them millions of times.
 */
public final class StudentT {

    private record Key(double p, int dof) {}

    private static final ConcurrentHashMap<Key, Double> QUANTILES = new ConcurrentHashMap<>();

    private StudentT() {
    }

    /** P(T ≥ t) for T with {@code dof} degrees of freedom (≥ 1). */
    static double upperTail(double t, int dof) {
        if (Double.isNaN(t)) return Double.NaN;
        if (t == Double.POSITIVE_INFINITY) return 0;
        if (t == Double.NEGATIVE_INFINITY) return 1;
        double tail = 0.5 * Beta.regularizedBeta(dof / (dof + t * t), dof / 2.0, 0.5);
        return t >= 0 ? tail : 1 - tail;
    }

    /** The p-quantile of T with {@code dof} degrees of freedom (≥ 1), 0 < p < 1. */
    public static double quantile(double p, int dof) {
        if (!(p > 0 && p < 1)) throw new IllegalArgumentException("quantile level must be in (0, 1), got " + p);
        if (QUANTILES.size() > 100_000) QUANTILES.clear();   // a bound, not a policy: real studies use a handful
        return QUANTILES.computeIfAbsent(new Key(p, dof), k -> new TDistribution(k.dof()).inverseCumulativeProbability(k.p()));
    }
}
