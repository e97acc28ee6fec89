package dev.flywheel.lab.study;

import dev.flywheel.lab.decide.ErrorBudget;
import dev.flywheel.lab.decide.PairedEvidence;
import dev.flywheel.lab.decide.PairedNoise;
import dev.flywheel.lab.decide.SequentialRule;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The paired decision procedure over a study's history (docs/decision.md), as pure functions.
 *
 * <p><b>The best's table.</b> Experiments are compared with the recipe that is the best when they start — the
 * <em>parent</em> — seed by seed: an experiment's j-th seed is the parent's j-th seed, so both runs start from the same
 * initialisation and see the same data order. The parent's runs are its table: the baseline's seeds (for the starting
 * recipe), else the kept change's re-measurements on fresh seeds (never the seeds that kept it: they were selected for
 * looking good), plus any fresh seed run later to pair with an experiment's extra seed ({@link Role#REMEASURE}).
 *
 * <p><b>The call.</b> The paired differences d_j = metric(experiment, j) − metric(parent, j) go to the
 * {@link SequentialRule} with σ_d pooled over the study ({@link #noise}) and the α the {@link ErrorBudget} allots to
 * this experiment ({@link #budget}). A run that crashed, diverged or was stopped early ends the experiment as a discard.
 *
 * <p><b>Reference runs.</b> A structural change judged at its own learning rate is paired, when the best's own sweep
 * chose another rate than the best's, with the best at that rate on the same seeds ({@link Role#REFERENCE},
 * {@link #references}) instead of the best's table; those runs are its parent's table in every function here.
 */
final class PairedPolicy {

    private PairedPolicy() {
    }

    /** The best's table: its trial, and its complete runs in the order of their seeds. */
    record Parent(String trial, List<RunRecord> runs) {
        long seed(int j) {
            return runs.get(j).recipe().seed();
        }

        /** The parent's metric on each of its seeds. */
        Map<Long, Double> metricBySeed() {
            var bySeed = new TreeMap<Long, Double>();
            for (var r : runs) bySeed.putIfAbsent(r.recipe().seed(), r.metric());
            return bySeed;
        }
    }

    /** The table of the recipe that is the best after {@code h}. */
    static Parent parent(StudyHistory h) {
        var st = Standing.of(h);
        return table(h, st.bestExperiment());
    }

    /** The table of the recipe whose trial is {@code trial}: the baseline's seeds, or a kept change's re-measurements. */
    static Parent table(StudyHistory h, String trial) {
        var runs = new ArrayList<RunRecord>();
        var own = h.trial(trial);
        if (!own.isEmpty() && own.getFirst().role() == Role.BASELINE)
            own.stream().filter(StudyHistory::complete).forEach(runs::add);
        var ids = own.stream().map(RunRecord::id).toList();
        for (var r : h.runsOf(Role.REMEASURE))
            if (ids.contains(r.parent()) && StudyHistory.complete(r)) runs.add(r);
        return new Parent(trial, runs);
    }

    /**
     * The parent an experiment was paired with: its reference runs when it has them (a structural change judged at
     * its own learning rate against the best at the rate the best's sweep chose), else the table of the trial its
     * parent run belongs to.
     */
    static Parent parentOf(StudyHistory h, RunRecord experimentRun) {
        var refs = references(h, experimentRun.experiment());
        if (!refs.isEmpty())
            return new Parent(refs.getFirst().experiment(), refs.stream().filter(StudyHistory::complete).toList());
        var p = h.run(experimentRun.parent()).orElseThrow();
        return table(h, p.role() == Role.REMEASURE ? h.run(p.parent()).orElseThrow().experiment() : p.experiment());
    }

    /**
     * The {@link Role#REFERENCE} runs of the experiment whose trial is {@code trial}: the best recipe at its own swept
     * rate, one on each of the experiment's seeds, in a trial of their own whose runs name the experiment as parent.
     */
    static List<RunRecord> references(StudyHistory h, String trial) {
        return h.runsOf(Role.REFERENCE).stream().filter(r -> trial.equals(r.parent())).toList();
    }

    /** d_j for the experiment's complete runs, each against the parent's run on the same seed (NaN when it has none). */
    static double[] differences(Parent parent, List<RunRecord> runs) {
        var bySeed = parent.metricBySeed();
        var d = new double[runs.size()];
        for (int j = 0; j < d.length; j++) {
            var p = bySeed.get(runs.get(j).recipe().seed());
            d[j] = p == null || runs.get(j).metric() == null ? Double.NaN : runs.get(j).metric() - p;
        }
        return d;
    }

    /**
     * σ_d pooled over the study: one recipe × seed table per parent with every decided or running experiment paired
     * with it ({@link PairedNoise#ofTable}); until those have a few degrees of freedom, with the baseline's seeds as an
     * upper bound (2·s², {@link PairedNoise#forDecision}).
     */
    static PairedNoise noise(StudyHistory h) {
        var baseline = h.runsOf(Role.BASELINE).stream().filter(StudyHistory::complete).mapToDouble(RunRecord::metric).toArray();
        var bound = PairedNoise.unpairedBound(baseline);
        var noise = PairedNoise.NONE;
        var rowsByParent = new LinkedHashMap<String, List<double[]>>();
        var parents = new LinkedHashMap<String, Parent>();
        for (var trial : h.trials().values()) {
            var first = trial.getFirst();
            if (first.role() != Role.EXPERIMENT) continue;
            var parent = parentOf(h, first);
            parents.putIfAbsent(parent.trial(), parent);
            var complete = trial.stream().takeWhile(StudyHistory::complete).toList();
            var row = complete.stream().mapToDouble(RunRecord::metric).toArray();
            var d = differences(parent, complete);
            boolean paired = java.util.Arrays.stream(d).allMatch(Double::isFinite);
            if (paired && row.length > 0) rowsByParent.computeIfAbsent(parent.trial(), k -> new ArrayList<>()).add(row);
        }
        for (Map.Entry<String, List<double[]>> e : rowsByParent.entrySet()) {
            var rows = new ArrayList<double[]>();
            rows.add(parents.get(e.getKey()).runs().stream().mapToDouble(RunRecord::metric).toArray());
            rows.addAll(e.getValue());
            noise = noise.plus(PairedNoise.ofTable(rows.toArray(double[][]::new)));
        }
        return PairedNoise.forDecision(bound, noise);
    }

    /** The error budget after the decided experiments of {@code h}, in order (each a test, resubmissions included). */
    static ErrorBudget budget(StudyHistory h, DecisionSettings s) {
        var budget = ErrorBudget.of(s.alpha(), s.horizon());
        for (var trial : h.trials().values()) {
            var first = trial.getFirst();
            if (first.role() != Role.EXPERIMENT || !h.allDecided(trial)) continue;
            boolean kept = h.decision(first.id()).decision() == Decision.KEEP;
            budget = budget.after(changeKey(first), pValue(h.before(lastOrdinal(h, trial) + 1), trial), kept);
        }
        return budget;
    }

    /** The last ordinal of an experiment's runs and its reference runs: what the study knew when it decided. */
    private static int lastOrdinal(StudyHistory h, List<RunRecord> trial) {
        int last = trial.getLast().ordinal();
        for (var r : references(h, trial.getFirst().id())) last = Math.max(last, r.ordinal());
        return last;
    }

    /** The one-sided p-value of a finished trial's paired evidence (1 for a trial without complete pairs). */
    private static double pValue(StudyHistory atDecision, List<RunRecord> trial) {
        var d = differences(parentOf(atDecision, trial.getFirst()), trial);
        if (d.length == 0 || !java.util.Arrays.stream(d).allMatch(Double::isFinite)) return 1;
        var p = PairedEvidence.of(d, noise(atDecision)).pValue();
        return Double.isFinite(p) ? p : 1;
    }

    /** A change's key for the error budget: its settings, numbers to three significant digits (near-identical = same). */
    static String changeKey(RunRecord first) {
        if (first.change() == null) return "";
        var parts = new ArrayList<String>();
        new TreeMap<>(first.change().values()).forEach((k, v) -> parts.add(k + "=" + (v instanceof Number n
                ? String.format(Locale.ROOT, "%.3g", n.doubleValue()) : String.valueOf(v))));
        return String.join(",", parts);
    }

    /** What the study does next with an experiment whose runs so far are {@code runs}. */
    sealed interface Call {
        /** Run one more seed of the experiment (and of the parent first, when it has no run on that seed). */
        record AddSeed(String why) implements Call {}

        /** Record these decisions. */
        record Decide(List<DecisionRecord> decisions, boolean kept) implements Call {}
    }

    /**
     * The call on an experiment after history {@code h} (which holds its runs so far).
     *
     * @param moreFits whether the budget has room for another seed (and its parent's, if needed)
     */
    static Call decide(String study, StudyHistory h, List<RunRecord> runs, DecisionSettings s, boolean moreFits) {
        var first = runs.getFirst();
        var parent = parentOf(h, first);
        var before = h.before(first.ordinal());
        double alpha = budget(before, s).next();
        int tries = budget(before, s).attempts(changeKey(first));
        String resubmitted = tries == 0 ? "" : String.format(Locale.ROOT,
                " This change was tried %d time%s before; each try spends from the error budget.", tries, tries == 1 ? "" : "s");
        var refs = references(h, first.experiment());
        for (var r : runs) {
            if (!StudyHistory.complete(r)) {
                String why = KeepRule.whyDiscarded(r.outcome());
                return discard(study, h, runs, parent, why + resubmitted);
            }
        }
        for (var r : refs) {
            if (!StudyHistory.complete(r))
                return discard(study, h, runs, parent, "the best recipe's reference run on seed " + r.recipe().seed()
                        + " " + r.status().id() + ", so the change cannot be paired on it; discarded" + resubmitted);
        }
        var d = differences(parent, runs);
        var noise = noise(h);
        var decision = SequentialRule.decide(d, noise, alpha, s.rule(minGain(before, noise)));
        if (decision.kind() == SequentialRule.Kind.ADD_SEED && moreFits) return new Call.AddSeed(decision.rationale());
        var rationale = decision.kind() == SequentialRule.Kind.ADD_SEED
                ? decision.rationale().replace("; adding a seed", "") + "; the study budget has no room for another seed; discarded"
                : decision.rationale();
        var kind = decision.kept() ? Decision.KEEP : Decision.DISCARD;
        var out = new ArrayList<>(referenceRecords(study, refs));
        out.addAll(records(study, runs, parent, kind, decision.evidence().sigma(), rationale + resubmitted));
        return new Call.Decide(out, decision.kept());
    }

    private static Call.Decide discard(String study, StudyHistory h, List<RunRecord> runs, Parent parent, String why) {
        var out = new ArrayList<>(referenceRecords(study, references(h, runs.getFirst().experiment())));
        out.addAll(records(study, runs, parent, Decision.DISCARD, Double.NaN, why));
        return new Call.Decide(out, false);
    }

    /**
     * The reference runs' records, first in a decision so that an experiment whose own runs are decided has them
     * too (a study killed between the two decides the experiment again, the same way): never candidates.
     */
    private static List<DecisionRecord> referenceRecords(String study, List<RunRecord> refs) {
        return refs.stream().map(r -> new DecisionRecord(study, r.id(), Decision.DISCARD, r.metric(), null, null, null,
                "the best recipe at the rate its own sweep chose, on seed " + r.recipe().seed()
                        + ": what the structural change is paired with; not a candidate for the best", null)).toList();
    }

    /**
     * The smallest gain worth keeping, below which futility may stop an experiment early: the paired noise σ_d once it
     * is measured — a gain well under it cannot be shown with a handful of seeds — else the noise floor of one run.
     * Not the run-to-run σ throughout: seeds shared by both arms cancel most of it, and a gain far smaller than one
     * run's spread can be real and worth having.
     */
    static double minGain(StudyHistory before, dev.flywheel.lab.decide.PairedNoise noise) {
        return noise.dof() > 0 ? noise.sigma() : Standing.of(before).noise().used();
    }

    /** One record per run: its metric against the parent's run on its seed (the paired difference as its delta). */
    private static List<DecisionRecord> records(String study, List<RunRecord> runs, Parent parent, Decision decision,
                                                double sigmaD, String rationale) {
        var bySeed = parent.metricBySeed();
        return runs.stream().map(r -> {
            var p = bySeed.get(r.recipe().seed());
            return new DecisionRecord(study, r.id(), decision, r.metric(), p,
                    p == null || r.metric() == null ? null : r.metric() - p, Double.isFinite(sigmaD) ? sigmaD : null,
                    rationale, null);
        }).toList();
    }
}
