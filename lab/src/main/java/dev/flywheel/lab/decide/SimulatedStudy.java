package dev.flywheel.lab.decide;

import dev.flywheel.lab.study.KeepRule;
import dev.flywheel.lab.study.NoiseFloor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One synthetic study, decided by the new procedure and by the old keep rule on the same metric draws. No training:
 * a run's metric is
 *
 * <pre>metric(recipe, seed) = baseline + σ·(truth(recipe) + √ρ·u(seed) + √(1−ρ)·ε(recipe, seed))</pre>
 *
 * with u and ε independent standard normals. u(seed) is what a seed does to every recipe alike (initialisation, data
 * order), so two recipes on the same seed correlate by ρ and a paired difference has σ_d = σ·√(2(1−ρ)). ε is the
 * rest. truth is in σ units and lower is better; experiment i, if real, lowers it by {@code gains[i]}.
 *
 * <p>Draws come from a counter-based generator keyed by (study, recipe, seed), so both rules see the same number for
 * the same run whatever order they ask in, and nothing is stored. Recipe 0 is the baseline, recipe i the i-th change.
 */
public final class SimulatedStudy {

    private SimulatedStudy() {
    }

    /**
     * @param experiments    changes per study
     * @param rho            seed correlation between two recipes' runs on the same seed
     * @param baseline       the baseline recipe's true metric (bits per byte, say); the old rule's σ floor is 0.1% of it
     * @param sigma          the seed-to-seed σ of one run's metric
     * @param baselineSeeds  the baseline's seeds (both rules)
     * @param alpha          the new rule's study-wide false-keep bound
     * @param rule           the new rule's sequential settings (minGain in metric units)
     * @param remeasureSeeds fresh seeds a new best is re-measured on after a keep
     * @param keepSigmas     the old rule's k
     */
    public record Scenario(int experiments, double rho, double baseline, double sigma, int baselineSeeds, double alpha,
                           SequentialRule.Settings rule, int remeasureSeeds, double keepSigmas) {
        /** The setting of docs/decision.md: 20 changes, ρ = 0.5, σ = 0.01 on a metric of 1.0, minGain 1σ. */
        public static Scenario standard() {
            return new Scenario(20, 0.5, 1.0, 0.01, 3, 0.05, SequentialRule.Settings.standard(0.01), 2, 2);
        }

        public Scenario withRho(double r) {
            return new Scenario(experiments, r, baseline, sigma, baselineSeeds, alpha, rule, remeasureSeeds, keepSigmas);
        }

        public Scenario withRule(SequentialRule.Settings r) {
            return new Scenario(experiments, rho, baseline, sigma, baselineSeeds, alpha, r, remeasureSeeds, keepSigmas);
        }
    }

    /**
     * What one rule did in one study.
     *
     * @param falseKeeps changes with no gain (or a loss) that were kept
     * @param realKept   the real change, if there was one, was kept
     * @param realGainEstimate the gain the rule estimated for the real change when it kept it, in σ units (NaN otherwise)
     * @param runs       runs spent after the baseline (experiments, extra parent seeds, re-measurements)
     */
    public record Outcome(int falseKeeps, boolean realKept, double realGainEstimate, int runs) {}

    /** The gains of a study's changes: all 0, except at {@code realAt} (if ≥ 0) where it is {@code effect} σ. */
    public static double[] gains(int experiments, int realAt, double effect) {
        var g = new double[experiments + 1];   // index 0 is the baseline
        if (realAt >= 0) g[realAt + 1] = effect;
        return g;
    }

    /** Where the real change sits in study {@code key}: uniform over the experiments. */
    public static int realPosition(long key, int experiments) {
        return (int) Math.floorMod(mix(key ^ 0x5DEECE66DL), (long) experiments);
    }

    // ---- the metric draws ----

    static double metric(Scenario sc, long key, int recipe, int seed, double truth) {
        double shared = gauss(key, -1, seed), own = gauss(key, recipe, seed);
        return sc.baseline() + sc.sigma() * (truth + Math.sqrt(sc.rho()) * shared + Math.sqrt(1 - sc.rho()) * own);
    }

    static long mix(long z) {   // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A standard normal for (key, a, b), by Box–Muller on two hashed uniforms. */
    static double gauss(long key, int a, int b) {
        long h = mix(key + 0x9E3779B97F4A7C15L * (((long) a << 32) ^ (b & 0xFFFFFFFFL) ^ 0x632BE59BD9B4E019L));
        long h2 = mix(h + 0x9E3779B97F4A7C15L);
        double u1 = ((h >>> 11) + 1) * 0x1.0p-53;   // (0, 1]: the log is finite
        double u2 = (h2 >>> 11) * 0x1.0p-53;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    // ---- the new procedure ----

    /** The study decided by paired seeds, the sequential rule and the error budget. */
    public static Outcome decideNew(Scenario sc, long key, double[] gains) {
        var rule = sc.rule();
        int cap = Math.max(Math.max(rule.maxSeeds(), sc.baselineSeeds()), sc.remeasureSeeds());
        var parentSeed = new int[cap];
        var parentMetric = new double[cap];
        int parentRecipe = 0, parentCount = sc.baselineSeeds(), nextSeed = 0;
        double parentTruth = 0;
        for (int s = 0; s < parentCount; s++) {
            parentSeed[s] = nextSeed++;
            parentMetric[s] = metric(sc, key, 0, parentSeed[s], 0);
        }
        // σ_d: the baseline's bound, closed tables of earlier parents, and the current parent's table (row 0 the
        // parent, then every experiment paired with it, the current one last)
        var bound = PairedNoise.unpairedBound(Arrays.copyOf(parentMetric, parentCount));
        var closed = PairedNoise.NONE;
        var table = new double[sc.experiments() + 1][];
        int tableRows = 1;
        var budget = ErrorBudget.of(sc.alpha(), sc.experiments());
        int runs = 0, falseKeeps = 0;
        boolean realKept = false;
        double estimate = Double.NaN;
        var own = new double[rule.maxSeeds()];
        var diffs = new double[rule.maxSeeds()];
        for (int i = 1; i <= sc.experiments(); i++) {
            double alpha = budget.next(), truth = parentTruth - gains[i];
            int n = 0;
            SequentialRule.Decision d;
            do {
                if (n == parentCount) {   // the parent has not run this seed yet: pair it now
                    parentSeed[n] = nextSeed++;
                    parentMetric[n] = metric(sc, key, parentRecipe, parentSeed[n], parentTruth);
                    parentCount++;
                    runs++;
                }
                own[n] = metric(sc, key, i, parentSeed[n], truth);
                diffs[n] = own[n] - parentMetric[n];
                runs++;
                n++;
                table[0] = Arrays.copyOf(parentMetric, parentCount);
                table[tableRows] = Arrays.copyOf(own, n);
                var noise = PairedNoise.forDecision(bound, closed.plus(PairedNoise.ofTable(Arrays.copyOf(table, tableRows + 1))));
                d = SequentialRule.decide(Arrays.copyOf(diffs, n), noise, alpha, rule);
            } while (d.kind() == SequentialRule.Kind.ADD_SEED);
            tableRows++;
            budget = budget.after("change " + i, d.pValue(), d.kept());
            if (!d.kept()) continue;
            if (gains[i] <= 0) falseKeeps++;
            else {
                realKept = true;
                estimate = d.gain() / sc.sigma();
            }
            // the new best is re-measured on fresh seeds: its selected seeds flatter it (winner's curse), and the next
            // experiments pair against the fresh ones, in a new table
            closed = closed.plus(PairedNoise.ofTable(Arrays.copyOf(table, tableRows)));
            tableRows = 1;
            parentRecipe = i;
            parentTruth = truth;
            parentCount = sc.remeasureSeeds();
            for (int s = 0; s < parentCount; s++) {
                parentSeed[s] = nextSeed++;
                parentMetric[s] = metric(sc, key, i, parentSeed[s], truth);
                runs++;
            }
        }
        return new Outcome(falseKeeps, realKept, estimate, runs);
    }

    // ---- the old rule ----

    /**
     * The study decided as {@code Study} does today: σ from the baseline's seeds (pooled with confirmed experiments'
     * pairs), one run per change on the study's seed 0, a close call confirmed on seed 1 and judged on the mean,
     * {@link KeepRule#decide}; a keep makes the change's mean the new best.
     */
    public static Outcome decideOld(Scenario sc, long key, double[] gains) {
        var baseline = new ArrayList<Double>();
        for (int s = 0; s < sc.baselineSeeds(); s++) baseline.add(metric(sc, key, 0, s, 0));
        double baseMean = baseline.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        var groups = new ArrayList<List<Double>>();
        groups.add(baseline);
        double best = baseMean, bestTruth = 0;
        int runs = 0, falseKeeps = 0;
        boolean realKept = false;
        double estimate = Double.NaN;
        for (int i = 1; i <= sc.experiments(); i++) {
            double noise = NoiseFloor.estimate(groups, baseMean).used(), truth = bestTruth - gains[i];
            var outcomes = new ArrayList<KeepRule.Outcome>();
            outcomes.add(finished(metric(sc, key, i, 0, truth)));
            runs++;
            var v = KeepRule.decide(best, noise, sc.keepSigmas(), outcomes, true);
            if (v.kind() == KeepRule.Kind.CONFIRM) {
                outcomes.add(finished(metric(sc, key, i, 1, truth)));
                runs++;
                v = KeepRule.decide(best, noise, sc.keepSigmas(), outcomes, false);
                groups.add(outcomes.stream().map(KeepRule.Outcome::metric).toList());
            }
            if (v.kind() != KeepRule.Kind.KEEP) continue;
            if (gains[i] <= 0) falseKeeps++;
            else {
                realKept = true;
                estimate = -v.delta() / sc.sigma();
            }
            best = v.mean();
            bestTruth = truth;
        }
        return new Outcome(falseKeeps, realKept, estimate, runs);
    }

    private static KeepRule.Outcome finished(double metric) {
        return new KeepRule.Outcome("r", "finished", metric, null, null);
    }
}
