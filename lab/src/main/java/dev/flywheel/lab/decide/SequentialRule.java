package dev.flywheel.lab.decide;

import java.util.Locale;

/**
 * Keep, discard, or run one more seed: the sequential decision on one experiment's paired seeds, as a pure function.
 *
 * <p>The experiment is looked at after each pair from {@code minSeeds} to {@code maxSeeds}: at most
 * {@code L = maxSeeds − minSeeds + 1} looks. Each look tests H0 "no gain" with a one-sided t-test at {@code α / L},
 * where α is what the study's {@link ErrorBudget} allots to this experiment. Splitting α over the looks (Bonferroni)
 * is cruder than Pocock or O'Brien–Fleming boundaries but needs no assumption about how the looks correlate (the σ_d
 * they use is re-pooled at every look), so the chance of any false keep across all looks is at most α by the union
 * bound; at α = 0.0025 the price against a Pocock boundary is about 0.1 in the critical value.
 *
 * <ul>
 *   <li>KEEP as soon as the one-sided p-value is ≤ α / L (equivalently: the lower end of the interval is above 0);</li>
 *   <li>DISCARD for futility as soon as even an optimistic bound on the gain — the one-sided (1 − futilityAlpha) upper
 *       bound — is below {@code minGain}, the smallest gain worth a keep: the change is clearly worse, or at best too
 *       small to matter. Stopping for futility can only lower the false-keep rate, so it costs no α;</li>
 *   <li>DISCARD at {@code maxSeeds} when neither happened: the gain was not shown;</li>
 *   <li>ADD_SEED otherwise.</li>
 * </ul>
 */
public final class SequentialRule {

    private SequentialRule() {
    }

    public enum Kind { KEEP, DISCARD, ADD_SEED }

    /**
     * @param minSeeds      pairs before the first look (≥ 1; with 1, a look needs σ_d from the history)
     * @param maxSeeds      the cap on pairs
     * @param minGain       the smallest gain worth keeping, in metric units (≥ 0); only futility uses it
     * @param futilityAlpha one minus the level of the optimistic bound futility compares with {@code minGain}
     */
    public record Settings(int minSeeds, int maxSeeds, double minGain, double futilityAlpha) {
        public Settings {
            if (minSeeds < 1 || maxSeeds < minSeeds)
                throw new IllegalArgumentException("need 1 ≤ minSeeds ≤ maxSeeds, got " + minSeeds + " and " + maxSeeds);
            if (!(minGain >= 0)) throw new IllegalArgumentException("minGain must be ≥ 0, got " + minGain);
            if (!(futilityAlpha > 0 && futilityAlpha < 0.5))
                throw new IllegalArgumentException("futilityAlpha must be in (0, 0.5), got " + futilityAlpha);
        }

        /** 2 to 6 seeds, futility on the 90% upper bound. */
        public static Settings standard(double minGain) {
            return new Settings(2, 6, minGain, 0.1);
        }

        public int looks() {
            return maxSeeds - minSeeds + 1;
        }
    }

    /** Why the call was made; the rationale sentence is built from it. */
    public enum Reason { SHOWN, FUTILE, CAP, NO_BUDGET, TOO_FEW_SEEDS, UNMEASURED, AMBIGUOUS }

    /**
     * The call and everything needed to check it. The rationale is built on demand, so the Monte Carlo, which makes
     * millions of calls, does not format millions of sentences.
     *
     * @param evidence     the paired evidence (gain, σ_d, dof, standard error)
     * @param alpha        the error budget allotted to this experiment
     * @param alphaPerLook α / looks: the one-sided level of this look's test
     * @param low          lower end of the two-sided (1 − 2·alphaPerLook) interval on the gain: KEEP iff it is above 0
     * @param high         its upper end
     * @param optimistic   the one-sided (1 − futilityAlpha) upper bound futility compares with minGain
     */
    public record Decision(Kind kind, Reason reason, PairedEvidence evidence, double alpha, double alphaPerLook,
                           double low, double high, double optimistic, Settings settings) {
        public double gain() {
            return evidence.gain();
        }

        public int seeds() {
            return evidence.seeds();
        }

        public double t() {
            return evidence.t();
        }

        public double pValue() {
            return evidence.pValue();
        }

        public boolean kept() {
            return kind == Kind.KEEP;
        }

        /** One sentence for the journal: the estimate, its interval, the seeds, the α spent, and the call. */
        public String rationale() {
            var e = evidence;
            int n = e.seeds();
            String measured = String.format(Locale.ROOT, "gain %s, %.2f%% interval [%s, %s] over %d paired seeds "
                            + "(σ_d %s pooled over %d dof; t = %.2f, one-sided p = %.2g; α %.2g for this experiment, "
                            + "%.2g at each of %d looks)", num(e.gain()), 100 * (1 - 2 * alphaPerLook), num(low), num(high), n,
                    String.format(Locale.ROOT, "%.4g", e.sigma()), e.dof(), e.t(), e.pValue(), alpha, alphaPerLook,
                    settings.looks());
            return switch (reason) {
                case SHOWN -> measured + ": the gain is shown; kept";
                case FUTILE -> measured + String.format(Locale.ROOT, ": even the %.0f%% upper bound %s is below the "
                                + "smallest gain worth keeping (%s); discarded early", 100 * (1 - settings.futilityAlpha()),
                        num(optimistic), num(settings.minGain()));
                case CAP -> measured + ": not shown at the cap of " + settings.maxSeeds() + " seeds; discarded";
                case AMBIGUOUS -> measured + ": ambiguous; adding a seed";
                case NO_BUDGET -> String.format(Locale.ROOT, "gain %s over %d seeds, but the study's error budget is "
                        + "spent (α = 0 for this experiment): nothing can be kept without risking a false win; "
                        + "discarded", num(e.gain()), n);
                case TOO_FEW_SEEDS, UNMEASURED -> String.format(Locale.ROOT, "gain %s so far; %s: %s", num(e.gain()),
                        reason == Reason.TOO_FEW_SEEDS
                                ? String.format(Locale.ROOT, "%d of at least %d seeds", n, settings.minSeeds())
                                : "σ_d is not measured yet",
                        kind == Kind.DISCARD ? "and no seed left under the cap; discarded" : "adding a seed");
            };
        }
    }

    /**
     * @param diffs   d_s = metric(experiment, s) − metric(parent, s) for the pairs run so far, in seed order
     * @param noise   σ_d pooled from the study, including this experiment's runs in its parent's table
     *                ({@link PairedNoise#ofTable}); the rule re-reads it at every look
     * @param alpha   the error budget allotted to this experiment by the study's {@link ErrorBudget}
     */
    public static Decision decide(double[] diffs, PairedNoise noise, double alpha, Settings settings) {
        int n = diffs.length;
        if (n == 0) throw new IllegalArgumentException("no paired seeds to decide on");
        if (n > settings.maxSeeds())
            throw new IllegalArgumentException(n + " pairs is more than the cap of " + settings.maxSeeds());
        for (double d : diffs)
            if (!Double.isFinite(d)) throw new IllegalArgumentException("a paired difference is not finite: " + d);
        var e = PairedEvidence.of(diffs, noise);
        double perLook = alpha / settings.looks();
        boolean atCap = n >= settings.maxSeeds();
        double nan = Double.NaN;
        if (!(alpha > 0)) return new Decision(Kind.DISCARD, Reason.NO_BUDGET, e, alpha, 0, nan, nan, nan, settings);
        if (n < settings.minSeeds() || !e.measured())
            return new Decision(atCap ? Kind.DISCARD : Kind.ADD_SEED,
                    n < settings.minSeeds() ? Reason.TOO_FEW_SEEDS : Reason.UNMEASURED, e, alpha, perLook, nan, nan, nan, settings);
        double low = e.lower(perLook), high = e.upper(perLook);
        double optimistic = e.upper(settings.futilityAlpha());
        if (e.pValue() <= perLook)
            return new Decision(Kind.KEEP, Reason.SHOWN, e, alpha, perLook, low, high, optimistic, settings);
        if (optimistic < settings.minGain())
            return new Decision(Kind.DISCARD, Reason.FUTILE, e, alpha, perLook, low, high, optimistic, settings);
        if (atCap) return new Decision(Kind.DISCARD, Reason.CAP, e, alpha, perLook, low, high, optimistic, settings);
        return new Decision(Kind.ADD_SEED, Reason.AMBIGUOUS, e, alpha, perLook, low, high, optimistic, settings);
    }

    private static String num(double x) {
        return String.format(Locale.ROOT, "%+.4g", x);
    }
}
