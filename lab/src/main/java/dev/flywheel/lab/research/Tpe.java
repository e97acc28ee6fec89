package dev.flywheel.lab.research;

import org.hipparchus.special.Erf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The tree-structured Parzen estimator (Bergstra et al., 2011) over the unit cube. Observations are split at the
 * γ-quantile of their scores into the good ones and the rest; each group becomes a density per dimension — a
 * mixture of truncated normals, one at each observed value with a width set by its neighbours, plus a broad prior
 * — and the proposal is the candidate drawn from the good density that maximises l(x)/g(x): where good runs are
 * dense and the others are not. Dimensions are modelled independently, as in the original.
 *
 * <p>Coordinates are in [0, 1] (the caller maps a search-space range there, on a log scale where the range is
 * one); scores are minimised. Failed runs take a score worse than every real one, which puts them in g.
 */
public final class Tpe {

    /** One evaluated point. */
    public record Observation(double[] x, double score) {}

    /** The proposal, with the log density ratio that chose it. */
    public record Proposal(double[] x, double logRatio, int good, int bad) {}

    private final double gamma;
    private final int candidates;

    /** @param gamma the fraction of observations that count as good (0.25); @param candidates draws from l(x) per proposal */
    public Tpe(double gamma, int candidates) {
        if (!(gamma > 0 && gamma < 1)) throw new IllegalArgumentException("gamma must be in (0, 1)");
        if (candidates < 1) throw new IllegalArgumentException("at least one candidate");
        this.gamma = gamma;
        this.candidates = candidates;
    }

    public Tpe() {
        this(0.25, 64);
    }

    /**
     * Proposes values for the {@code active} dimensions; the others are copied from {@code base}. With fewer than
     * two observations there is nothing to model and the active dimensions are drawn uniformly.
     */
    public Proposal propose(List<Observation> observations, boolean[] active, double[] base, Random rng) {
        return propose(observations, active, base, 1.0, rng);
    }

    /**
     * As {@link #propose(List, boolean[], double[], Random)}, drawing only within {@code radius} of {@code base} in
     * every active dimension: a trust region, for a search with a few dozen runs where one far-off draw is a run
     * wasted.
     */
    public Proposal propose(List<Observation> observations, boolean[] active, double[] base, double radius, Random rng) {
        int d = base.length;
        var out = base.clone();
        if (observations.size() < 2) {
            for (int k = 0; k < d; k++) if (active[k]) out[k] = uniform(base[k], radius, rng);
            return new Proposal(out, 0, 0, observations.size());
        }
        var sorted = new ArrayList<>(observations);
        sorted.sort(Comparator.comparingDouble(Observation::score));
        int nGood = Math.max(1, (int) Math.ceil(gamma * sorted.size()));
        var good = sorted.subList(0, nGood);
        var bad = sorted.subList(nGood, sorted.size());
        var l = new Parzen[d];
        var g = new Parzen[d];
        for (int k = 0; k < d; k++) {
            if (!active[k]) continue;
            l[k] = Parzen.of(column(good, k));
            g[k] = Parzen.of(column(bad, k));
        }
        double bestScore = Double.NEGATIVE_INFINITY;
        double[] best = null;
        for (int c = 0; c < candidates; c++) {
            var x = base.clone();
            double score = 0;
            for (int k = 0; k < d; k++) {
                if (!active[k]) continue;
                x[k] = l[k].sample(rng, base[k] - radius, base[k] + radius);
                score += Math.log(l[k].pdf(x[k])) - Math.log(g[k].pdf(x[k]));
            }
            if (score > bestScore) {
                bestScore = score;
                best = x;
            }
        }
        return new Proposal(best, bestScore, good.size(), bad.size());
    }

    /** log l(x)/g(x) of a point under the given observations, for tests and explanations. */
    public double logRatio(List<Observation> observations, double[] x) {
        var sorted = new ArrayList<>(observations);
        sorted.sort(Comparator.comparingDouble(Observation::score));
        int nGood = Math.max(1, (int) Math.ceil(gamma * sorted.size()));
        double s = 0;
        for (int k = 0; k < x.length; k++) {
            s += Math.log(Parzen.of(column(sorted.subList(0, nGood), k)).pdf(x[k]))
                    - Math.log(Parzen.of(column(sorted.subList(nGood, sorted.size()), k)).pdf(x[k]));
        }
        return s;
    }

    private static double uniform(double center, double radius, Random rng) {
        double lo = Math.max(0, center - radius), hi = Math.min(1, center + radius);
        return lo + (hi - lo) * rng.nextDouble();
    }

    private static double[] column(List<Observation> obs, int k) {
        var c = new double[obs.size()];
        for (int i = 0; i < c.length; i++) c[i] = Math.clamp(obs.get(i).x()[k], 0.0, 1.0);
        return c;
    }

    /** A 1-D mixture of normals truncated to [0, 1]: one per point plus a prior N(0.5, 1), equally weighted. */
    record Parzen(double[] mu, double[] sigma) {

        static Parzen of(double[] points) {
            int n = points.length;
            var mu = Arrays.copyOf(points, n + 1);
            mu[n] = 0.5;
            var order = new Integer[n + 1];
            for (int i = 0; i <= n; i++) order[i] = i;
            Arrays.sort(order, Comparator.comparingDouble(i -> mu[i]));
            var sigma = new double[n + 1];
            double min = 1.0 / Math.min(100, n + 1), max = 1.0;
            for (int r = 0; r <= n; r++) {
                int i = order[r];
                double left = r > 0 ? mu[i] - mu[order[r - 1]] : mu[i];
                double right = r < n ? mu[order[r + 1]] - mu[i] : 1 - mu[i];
                sigma[i] = Math.clamp(Math.max(left, right), min, max);
            }
            sigma[n] = 1.0; // the prior stays broad
            return new Parzen(mu, sigma);
        }

        double pdf(double x) {
            double p = 0;
            for (int i = 0; i < mu.length; i++) {
                double z = (x - mu[i]) / sigma[i];
                double mass = cdf((1 - mu[i]) / sigma[i]) - cdf(-mu[i] / sigma[i]);
                p += Math.exp(-0.5 * z * z) / (Math.sqrt(2 * Math.PI) * sigma[i] * Math.max(mass, 1e-12));
            }
            return Math.max(p / mu.length, 1e-300);
        }

        double sample(Random rng) {
            return sample(rng, 0, 1);
        }

        /** A draw from the mixture truncated to [lo, hi] ∩ [0, 1] (uniform there if the mixture has no mass in it). */
        double sample(Random rng, double lo, double hi) {
            lo = Math.max(0, lo);
            hi = Math.min(1, hi);
            for (int attempt = 0; attempt < 200; attempt++) {
                int i = rng.nextInt(mu.length);
                double x = mu[i] + sigma[i] * rng.nextGaussian();
                if (x >= lo && x <= hi) return x;
            }
            return lo + (hi - lo) * rng.nextDouble();
        }

        private static double cdf(double z) {
            return 0.5 * (1 + Erf.erf(z / Math.sqrt(2)));
        }
    }
}
