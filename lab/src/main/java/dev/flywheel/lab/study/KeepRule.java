package dev.flywheel.lab.study;

import dev.flywheel.lab.run.Outcome;

import java.util.List;
import java.util.Locale;

/**
 * The study's keep/discard rule, as a pure function so it can be read, tested and explained in one place.
 *
 * <p>A change is kept only when it beats the current best by more than {@code k} noise standard deviations
 * ({@code keep_sigmas}, 2 by default): {@code best − mean(metric) > k·σ} for a metric that is minimised. A single
 * run that clears the bar by less than one more σ is a close call: it is confirmed with another seed, and then the
 * mean of both runs must clear the bar. A run that crashed, diverged or was stopped early is discarded; it is a
 * result all the same.
 */
public final class KeepRule {

    private KeepRule() {
    }

    public enum Kind { KEEP, DISCARD, CONFIRM }

    /** The verdict and why, in words for the journal; {@code sigmas} is how many σ the mean beat the best by. */
    public record Verdict(Kind kind, String rationale, Double mean, Double delta, Double sigmas) {}

    /** One run of the change: how it ended, and its metric (null when it has none). */
    public record Run(Outcome end, Double metric) {
        public Run {
            if (end == null) throw new IllegalArgumentException("a run that has not ended cannot be decided on");
        }

        public static Run finished(double metric) {
            return new Run(Outcome.FINISHED, metric);
        }

        boolean complete() {
            return end.finished() && metric != null && Double.isFinite(metric);
        }
    }

    /**
     * @param best           the current best metric (lower is better)
     * @param noise          the noise floor σ (> 0)
     * @param k              keep_sigmas
     * @param runs           the change's runs so far, in order
     * @param confirmAllowed whether the budget has a run left to confirm a close call
     */
    public static Verdict decide(double best, double noise, double k, List<Run> runs, boolean confirmAllowed) {
        if (runs.isEmpty()) throw new IllegalArgumentException("no runs to decide on");
        for (var r : runs) {
            if (r.end() instanceof Outcome.StoppedEarly)
                return new Verdict(Kind.DISCARD, whyDiscarded(r.end()), r.metric(),
                        r.metric() == null ? null : r.metric() - best, null);
            if (!r.complete()) return new Verdict(Kind.DISCARD, whyDiscarded(r.end()), null, null, null);
        }
        double mean = runs.stream().mapToDouble(Run::metric).average().orElseThrow();
        double delta = mean - best;
        double z = -delta / noise;
        int n = runs.size();
        String measured = n == 1
                ? String.format(Locale.ROOT, "%s %+.4f against the best %.4f, %s", fmt(mean), delta, best, sigmas(z))
                : String.format(Locale.ROOT, "the mean of %d seeds %s is %+.4f against the best %.4f, %s", n, fmt(mean),
                delta, best, sigmas(z));
        String bar = String.format(Locale.ROOT, "the bar of %.1fσ = %.4f (σ = %.4f)", k, k * noise, noise);
        if (n == 1) {
            if (z > k + 1) return new Verdict(Kind.KEEP, measured + ": clears " + bar + "; kept", mean, delta, z);
            if (z > k) {
                if (confirmAllowed)
                    return new Verdict(Kind.CONFIRM, measured + ": a close call (within 1σ of " + bar
                            + "); confirming with another seed", mean, delta, z);
                return new Verdict(Kind.DISCARD, measured + ": a close call (within 1σ of " + bar
                        + "), and the budget leaves no run to confirm it with another seed; discarded", mean, delta, z);
            }
            return new Verdict(Kind.DISCARD, measured + (delta >= 0 ? ": no better than the best" : ": within the noise,")
                    + (delta >= 0 ? "; discarded" : " below " + bar + "; discarded"), mean, delta, z);
        }
        if (z > k) return new Verdict(Kind.KEEP, measured + ": clears " + bar + "; kept", mean, delta, z);
        return new Verdict(Kind.DISCARD, measured + ": does not clear " + bar + "; discarded", mean, delta, z);
    }

    /** Why a run that did not complete its budget with a metric discards its change, in the journal's words. */
    static String whyDiscarded(Outcome end) {
        if (end instanceof Outcome.StoppedEarly s)
            return String.format(Locale.ROOT, "stopped early at %.0f%% of its budget: its learning curve was clearly "
                    + "behind the best run's at the same point", 100 * s.progress());
        String why = end.reason();
        return end.status().id() + (why == null || why.isBlank() ? "" : ": " + why)
                + "; a failed run is a result: the change is discarded";
    }

    private static String fmt(double x) {
        return String.format(Locale.ROOT, "%.4f", x);
    }

    private static String sigmas(double z) {
        return z >= 0 ? String.format(Locale.ROOT, "%.1fσ better", z) : String.format(Locale.ROOT, "%.1fσ worse", -z);
    }
}
