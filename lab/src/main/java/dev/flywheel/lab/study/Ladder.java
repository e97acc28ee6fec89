package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.scaling.FitFiles;
import dev.flywheel.lab.scaling.FitReport;
import dev.flywheel.lab.scaling.LawFit;
import dev.flywheel.lab.scaling.RunPoints;
import dev.flywheel.lab.scaling.ScalingPoint;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Trains a {@link LadderPlan} through the study's {@link RunScheduler} (store, journal, guard, resume): each size's
 * learning-rate sweep, then every size × token count at its chosen rate, fits the law on those runs, writes down the
 * target's predicted loss as a note before the target runs, then trains the target and compares. Every run has
 * {@link Role#LADDER} and is found again by recipe hash, so a killed ladder resumes without running anything twice,
 * and the report is recomputed from the history.
 */
final class Ladder {

    static final String PROPOSER = "ladder", NOTE = "Ladder prediction: ";
    /** The fit's files, in the study's folder. */
    static final String FIT = "ladder-fit";

    private Ladder() {
    }

    static LadderReport run(Conclusions.Context c, LadderPlan plan, LawFit.Settings fitSettings) {
        c.listener().phase(String.format(Locale.ROOT, "scaling ladder: %d sizes × %d token counts, each size swept "
                + "(×0.5, ×1, ×2), then the target (%,d parameters, %,d tokens)", plan.sizes().size(),
                plan.sizes().getFirst().tokens().size(), plan.targetParams(), plan.targetTokens()));
        for (var s : plan.sizes())
            for (double f : LrSweep.FACTORS) queue(c, LadderPlan.rung(s, plan.sweepTokens(), f), "learning-rate sweep ×" + f);
        execute(c);
        for (int round = 0; round < LrSweep.MAX_EXTENSIONS; round++) {
            boolean queued = false;
            for (var s : plan.sizes()) {
                var sweep = sweep(c.ledger().history(), plan, s);
                var next = LrSweep.next(List.copyOf(sweep.keySet()), values(sweep), reach(s));
                if (next.isPresent())
                    queued |= queue(c, LadderPlan.rung(s, plan.sweepTokens(), next.getAsDouble()), "learning-rate sweep ×" + next.getAsDouble());
            }
            if (!queued) break;
            execute(c);
        }
        for (var s : plan.sizes()) {
            double f = chosen(c.ledger().history(), plan, s);
            for (int k = 0; k < s.tokens().size(); k++) queue(c, LadderPlan.rung(s, k, f), "rung at its chosen rate ×" + f);
        }
        execute(c);
        var h = c.ledger().history();
        var fit = FitReport.of("ladder " + c.settings().name(), points(h, plan), fitSettings, plan.target().canonicalJson());
        var target = target(h, plan);
        double predicted = fit.law().loss(plan.targetParams(), plan.targetTokens());
        if (h.notes().stream().noneMatch(n -> n.body().startsWith(NOTE)))
            c.note().accept(PROPOSER, String.format(Locale.ROOT, "%s%,d parameters on %,d tokens (%.3g FLOPs) at learning "
                            + "rate ×%s: loss %.4f, from L = %.4g + %.4g/N^%.4f + %.4g/D^%.4f fitted on %d rungs, written before "
                            + "the run.", NOTE, plan.targetParams(), plan.targetTokens(), 6.0 * plan.targetParams() * plan.targetTokens(),
                    targetFactor(h, plan), predicted, fit.law().e(), fit.law().a(), fit.law().alpha(), fit.law().b(),
                    fit.law().beta(), fit.points().size()));
        queue(c, target, "the target, predicted before it runs");
        execute(c);
        decideAndJournal(c);
        h = c.ledger().history();
        var run = h.runsByRecipe(Role.LADDER).get(target.hash());
        var actual = run == null ? null : h.run(run.id()).filter(StudyHistory::complete).map(RunPoints::point).orElse(null);
        var files = FitFiles.write(fit, c.settings().dir().resolve(FIT), actual == null ? List.of() : List.of(actual));
        return LadderReport.of(plan, fit, sweeps(h, plan), targetFactor(h, plan), actual, files);
    }

    /** A size's sweep so far: rate factor → metric (NaN for a failed run), for the runs that exist. */
    static TreeMap<Double, Double> sweep(StudyHistory h, LadderPlan plan, LadderPlan.Size s) {
        var have = h.runsByRecipe(Role.LADDER);
        var out = new TreeMap<Double, Double>();
        for (double f : reach(s)) {
            var r = have.get(LadderPlan.rung(s, plan.sweepTokens(), f).hash());
            if (r != null) out.put(f, metric(h, r));
        }
        return out;
    }

    /** Every rate factor a size's sweep may reach (×1/8 … ×8, as far as the default search space allows rates). */
    private static List<Double> reach(LadderPlan.Size s) {
        return LrSweep.reach(s.recipe(), dev.flywheel.lab.search.SearchSpace.defaults());
    }

    static double chosen(StudyHistory h, LadderPlan plan, LadderPlan.Size s) {
        var sweep = sweep(h, plan, s);
        return List.copyOf(sweep.keySet()).get(LrSweep.best(List.copyOf(sweep.keySet()), values(sweep)));
    }

    private static List<TreeMap<Double, Double>> sweeps(StudyHistory h, LadderPlan plan) {
        return plan.sizes().stream().map(s -> sweep(h, plan, s)).toList();
    }

    /** The rungs at their chosen rates that finished, as points. */
    static List<ScalingPoint> points(StudyHistory h, LadderPlan plan) {
        var have = h.runsByRecipe(Role.LADDER);
        var out = new ArrayList<ScalingPoint>();
        for (var s : plan.sizes()) {
            double f = chosen(h, plan, s);
            for (int k = 0; k < s.tokens().size(); k++) {
                var r = have.get(LadderPlan.rung(s, k, f).hash());
                if (r != null) h.run(r.id()).filter(StudyHistory::complete).ifPresent(x -> out.add(RunPoints.point(x)));
            }
        }
        return out;
    }

    static double targetFactor(StudyHistory h, LadderPlan plan) {
        return LadderPlan.targetFactor(plan.sizes().stream().map(LadderPlan.Size::params).toList(),
                plan.sizes().stream().map(s -> chosen(h, plan, s)).toList(), plan.targetParams());
    }

    static Recipe target(StudyHistory h, LadderPlan plan) {
        return LrSweep.scaled(plan.target(), targetFactor(h, plan));
    }

    private static double metric(StudyHistory h, RunRecord r) {
        var now = h.run(r.id()).orElse(r);
        return StudyHistory.complete(now) ? now.metric() : Double.NaN;
    }

    private static double[] values(Map<Double, Double> m) {
        return m.values().stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Queues a run unless one with this recipe exists; whether it queued one. */
    private static boolean queue(Conclusions.Context c, Recipe recipe, String why) {
        var h = c.ledger().history();
        if (h.runsByRecipe(Role.LADDER).containsKey(recipe.hash())) return false;
        var m = recipe.model();
        String trial = h.runsOf(Role.LADDER).stream().map(RunRecord::experiment).findFirst().orElse(null);
        c.ledger().queue(new NewRun(null, c.settings().name(), recipe, null, null, PROPOSER,
                String.format(Locale.ROOT, "Scaling ladder, %s: %d layers, width %d (%,d parameters), %,d tokens, lr %.3g.",
                        why, m.layers(), m.dim(), recipe.estimatedParameters(), (long) recipe.budget().amount(),
                        recipe.optimizer().lr()), trial, Role.LADDER));
        return true;
    }

    private static void execute(Conclusions.Context c) {
        c.scheduler().executeAll(c.ledger().history().runsOf(Role.LADDER));
        decideAndJournal(c);
    }

    /** Every ended ladder run is recorded as not a candidate for the best, and journaled. */
    private static void decideAndJournal(Conclusions.Context c) {
        var h = c.ledger().history();
        var runs = h.runsOf(Role.LADDER);
        var undecided = runs.stream().filter(r -> r.status().isFinal() && !h.decided(r)).toList();
        if (!undecided.isEmpty())
            c.ledger().decide(undecided.stream().map(r -> new DecisionRecord(c.settings().name(), r.id(), Decision.DISCARD,
                    r.metric(), null, null, null, "ladder rung, not a candidate", null)).toList());
        c.journal().runs(c.ledger().history(), runs);
    }

    static Path fitPrefix(StudySettings s) {
        return s.dir().resolve(FIT);
    }
}
