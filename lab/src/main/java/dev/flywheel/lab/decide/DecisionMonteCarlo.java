package dev.flywheel.lab.decide;

import java.util.Locale;

/**
 * The Monte Carlo of docs/decision.md: simulated studies decided by the new procedure and by the old keep rule on the
 * same draws. Every change null (the false-keep rate per study), then one real change among nulls at 0.5σ to 5σ (the
 * power curve).
 *
 * <pre>java -cp lab/target/classes:$HOME/.m2/repository/org/hipparchus/hipparchus-core/4.0.2/hipparchus-core-4.0.2.jar \
 *     dev.flywheel.lab.decide.DecisionMonteCarlo [--studies 10000] [--rho 0.5] [--seed 1] \
 *     [--min-gain 1 (σ)] [--futility 0.1] [--max-seeds 6]</pre>
 */
public final class DecisionMonteCarlo {

    /** The effects of the power curve, in σ of one run's metric; 0 is the all-null study. */
    public static final double[] EFFECTS = {0, 0.5, 1, 2, 3, 4, 5};

    /**
     * One rule over many studies.
     *
     * @param anyFalseKeep    fraction of studies that kept at least one null change
     * @param meanFalseKeeps  null changes kept per study
     * @param power           fraction of studies that kept the real change (NaN when there is none)
     * @param meanEstimate    the gain the rule reported for the real change when it kept it, in σ (its winner's curse)
     * @param runsPerChange   runs per change, after the baseline
     */
    public record Summary(double anyFalseKeep, double meanFalseKeeps, double power, double meanEstimate,
                          double runsPerChange) {}

    public record Row(double effect, Summary newRule, Summary oldRule) {}

    private DecisionMonteCarlo() {
    }

    /** {@code studies} studies with one real change of {@code effect} σ (none when 0); study j's draws are keyed by (seed, j). */
    public static Row run(SimulatedStudy.Scenario sc, double effect, int studies, long seed) {
        var acc = new double[2][5];
        for (int j = 0; j < studies; j++) {
            long key = SimulatedStudy.mix(seed * 0x9E3779B97F4A7C15L + j);
            int at = effect > 0 ? SimulatedStudy.realPosition(key, sc.experiments()) : -1;
            var gains = SimulatedStudy.gains(sc.experiments(), at, effect);
            add(acc[0], SimulatedStudy.decideNew(sc, key, gains));
            add(acc[1], SimulatedStudy.decideOld(sc, key, gains));
        }
        return new Row(effect, summary(acc[0], studies, effect, sc), summary(acc[1], studies, effect, sc));
    }

    private static void add(double[] a, SimulatedStudy.Outcome o) {
        if (o.falseKeeps() > 0) a[0]++;
        a[1] += o.falseKeeps();
        if (o.realKept()) {
            a[2]++;
            a[3] += o.realGainEstimate();
        }
        a[4] += o.runs();
    }

    private static Summary summary(double[] a, int studies, double effect, SimulatedStudy.Scenario sc) {
        return new Summary(a[0] / studies, a[1] / studies, effect > 0 ? a[2] / studies : Double.NaN,
                a[2] > 0 ? a[3] / a[2] : Double.NaN, a[4] / studies / sc.experiments());
    }

    /** The table of docs/decision.md. */
    public static String table(Row[] rows) {
        var sb = new StringBuilder();
        sb.append("| effect | new: P(≥1 false keep) | new: power | new: kept gain (σ) | new: runs/change "
                + "| old: P(≥1 false keep) | old: power | old: kept gain (σ) | old: runs/change |\n");
        sb.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (var r : rows)
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %s | %s | %s | %.2f |%n",
                    r.effect() == 0 ? "all null" : fmt(r.effect()) + "σ", pct(r.newRule().anyFalseKeep()),
                    pct(r.newRule().power()), est(r.newRule().meanEstimate()), r.newRule().runsPerChange(),
                    pct(r.oldRule().anyFalseKeep()), pct(r.oldRule().power()), est(r.oldRule().meanEstimate()),
                    r.oldRule().runsPerChange()));
        return sb.toString();
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? String.valueOf((int) x) : String.valueOf(x);
    }

    private static String pct(double x) {
        return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }

    private static String est(double x) {
        return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.2f", x);
    }

    public static void main(String[] args) {
        int studies = 10_000;
        double rho = 0.5;
        long seed = 1;
        var sc = SimulatedStudy.Scenario.standard();
        double minGain = sc.rule().minGain() / sc.sigma(), futility = sc.rule().futilityAlpha();
        int maxSeeds = sc.rule().maxSeeds();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--studies" -> studies = Integer.parseInt(args[++i]);
                case "--rho" -> rho = Double.parseDouble(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--min-gain" -> minGain = Double.parseDouble(args[++i]);
                case "--futility" -> futility = Double.parseDouble(args[++i]);
                case "--max-seeds" -> maxSeeds = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i] + "; usage: [--studies N] [--rho R] [--seed S] "
                            + "[--min-gain SIGMAS] [--futility ALPHA] [--max-seeds N]");
                    System.exit(2);
                }
            }
        }
        sc = sc.withRho(rho).withRule(new SequentialRule.Settings(sc.rule().minSeeds(), maxSeeds, minGain * sc.sigma(), futility));
        long start = System.nanoTime();
        var rows = new Row[EFFECTS.length];
        for (int e = 0; e < EFFECTS.length; e++) rows[e] = run(sc, EFFECTS[e], studies, seed);
        System.out.printf(Locale.ROOT, "%d studies of %d changes per row, ρ = %.2f, seed %d; new rule: α = %.2f over %d "
                        + "tests, %d–%d paired seeds, minGain %.2fσ, futility at the %.0f%% bound, %d re-measurement seeds; "
                        + "old rule: k = %.1f, %d baseline seeds (%.1f s)%n%n", studies, sc.experiments(), rho, seed,
                sc.alpha(), sc.experiments(), sc.rule().minSeeds(), sc.rule().maxSeeds(), sc.rule().minGain() / sc.sigma(),
                100 * (1 - sc.rule().futilityAlpha()), sc.remeasureSeeds(), sc.keepSigmas(), sc.baselineSeeds(),
                (System.nanoTime() - start) / 1e9);
        System.out.print(table(rows));
    }
}
