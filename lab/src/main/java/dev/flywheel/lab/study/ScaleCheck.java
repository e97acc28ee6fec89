package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.NoteRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The scale check (docs/scale-check.md): do the kept changes hold at larger models? The starting and the best recipe
 * at two larger sizes ({@link ScalePlan}), each at its own best learning rate from a sweep on one fresh seed (extended
 * past an edge best, {@link LrSweep#next}), then a second fresh seed at that rate; {@link ScaleVerdict} judges the paired gains. The verdict gates the recipe the
 * study exports ({@link Conclusions}). All runs have {@link Role#SCALE}, are found again by recipe (seed and rate
 * included) so a killed check resumes without running anything twice, and the verdict is recomputed from the history.
 *
 * <p>Studies from before this check ran a one-size, one-seed check (proposer {@value #ONE_SIZE}); their verdict is
 * still judged the old way ({@link #judgeOneSize}) so they replay as they were written.
 */
final class ScaleCheck {

    static final String PROPOSER = NoteRecord.SCALE_CHECK, ONE_SIZE = "scale-confirm", NOTE = "Scale check: ";

    private ScaleCheck() {
    }

    /** HELD_PARTLY is only ever the verdict of an older study's one-size check. */
    enum Outcome { HELD, DID_NOT_HOLD, INCONCLUSIVE, NOT_CHECKED, HELD_PARTLY }

    /** The verdict and its sentence for the journal. */
    record Verdict(Outcome outcome, String text) {

        /** Whether the small-scale best may be exported as the study's best: it held, or was not checked. */
        boolean exports() {
            return outcome == Outcome.HELD || outcome == Outcome.NOT_CHECKED;
        }

        /** true held, false did not hold or inconclusive, null not checked. */
        Boolean held() {
            return outcome == Outcome.NOT_CHECKED ? null : outcome == Outcome.HELD;
        }
    }

    static Verdict notChecked(String why) {
        return new Verdict(Outcome.NOT_CHECKED, "not checked at scale: " + why);
    }

    /** The check's verdict from the history, or null when it has no runs or they have not all ended. */
    static Verdict verdict(StudyHistory h, StudySettings s) {
        var runs = h.runsOf(Role.SCALE);
        if (runs.isEmpty() || !runs.stream().allMatch(r -> r.status().isFinal())) return null;
        var before = h.before(runs.getFirst().ordinal());
        if (ONE_SIZE.equals(runs.getFirst().proposer()))
            return runs.size() < 2 ? null : judgeOneSize(runs.get(0), runs.get(1), Standing.of(before), s.keepSigmas());
        var sizes = sizesAt(before, s);
        var results = results(h, sizes);
        if (results == null) return null;
        return ScaleVerdict.judge(results, PairedPolicy.noise(before));
    }

    /** The sizes of the check begun after {@code before}: the start against the best as it stood then. */
    static List<ScalePlan.Size> sizesAt(StudyHistory before, StudySettings s) {
        return ScalePlan.sizes(s.start(), Standing.of(before).bestRecipe(), s.space());
    }

    /** The scale runs by recipe hash (seed and rate included). */
    static Map<String, RunRecord> existing(StudyHistory h) {
        return h.runsByRecipe(Role.SCALE);
    }

    /** Each arm's sweep on the sweep seed, its chosen factor, and its metrics on the two seeds at that factor. */
    record ArmResult(List<Double> factors, double[] sweep, int chosen, double[] seeds) {
        double factor() {
            return factors.get(chosen);
        }
    }

    /**
     * An arm's result as the history has it: its planned sweep, then the edge extensions that ran ({@link
     * LrSweep#next}'s factor while its run exists, found by recipe hash like the planned ones), the factor chosen over
     * all of them, and the fresh seed at that factor. A check begun before edge extension has none: it reads as it did.
     */
    static ArmResult arm(StudyHistory h, ScalePlan.Arm a, Map<String, RunRecord> have) {
        int seed = ScalePlan.sweepSeed(h.before(firstScaleOrdinal(h)));
        var byFactor = new java.util.TreeMap<Double, Double>();
        for (double f : a.factors()) byFactor.put(f, metric(h, have.get(sweepRecipe(h, a, f, seed).hash())));
        for (int i = 0; i < LrSweep.MAX_EXTENSIONS; i++) {
            var next = LrSweep.next(List.copyOf(byFactor.keySet()), values(byFactor), a.reach());
            if (next.isEmpty()) break;
            var run = have.get(sweepRecipe(h, a, next.getAsDouble(), seed).hash());
            if (run == null) break;
            byFactor.put(next.getAsDouble(), metric(h, run));
        }
        var factors = List.copyOf(byFactor.keySet());
        var sweep = values(byFactor);
        int chosen = LrSweep.best(factors, sweep);
        var fresh = have.get(freshRecipe(h, a, factors.get(chosen), seed).hash());
        return new ArmResult(factors, sweep, chosen, new double[]{sweep[chosen], metric(h, fresh)});
    }

    private static double[] values(java.util.SortedMap<Double, Double> m) {
        return m.values().stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The edge extension an arm's sweep still needs before its fresh seed, or empty ({@link LrSweep#next}). */
    static java.util.OptionalDouble extension(StudyHistory h, ScalePlan.Arm a, Map<String, RunRecord> have) {
        var r = arm(h, a, have);
        int seed = ScalePlan.sweepSeed(h.before(firstScaleOrdinal(h)));
        if (have.containsKey(freshRecipe(h, a, r.factor(), seed).hash())) return java.util.OptionalDouble.empty();
        return LrSweep.next(r.factors(), r.sweep(), a.reach());
    }

    private static Recipe sweepRecipe(StudyHistory h, ScalePlan.Arm a, double factor, int sweepSeed) {
        return h.withSeed(LrSweep.scaled(a.recipe(), factor), sweepSeed);
    }

    private static Recipe freshRecipe(StudyHistory h, ScalePlan.Arm a, double factor, int sweepSeed) {
        return h.withSeed(LrSweep.scaled(a.recipe(), factor), sweepSeed + ScalePlan.FRESH_SEEDS);
    }

    private static int firstScaleOrdinal(StudyHistory h) {
        var runs = h.runsOf(Role.SCALE);
        return runs.isEmpty() ? Integer.MAX_VALUE : runs.getFirst().ordinal();
    }

    /** NaN for a run that failed; a missing run also NaN (the caller tells missing from failed). */
    private static double metric(StudyHistory h, RunRecord r) {
        if (r == null) return Double.NaN;
        var now = h.run(r.id()).orElse(r);
        return StudyHistory.complete(now) ? now.metric() : Double.NaN;
    }

    /** Per size, the two arms' metrics at their chosen rates; null while a planned run is missing. */
    static List<ScaleVerdict.SizeResult> results(StudyHistory h, List<ScalePlan.Size> sizes) {
        var have = existing(h);
        var out = new ArrayList<ScaleVerdict.SizeResult>();
        int seed = ScalePlan.sweepSeed(h.before(firstScaleOrdinal(h)));
        for (var s : sizes) {
            for (var a : s.arms()) {
                if (ScalePlan.sweepRuns(h, List.of(s)).stream().anyMatch(r -> !have.containsKey(r.hash()))) return null;
                var chosen = arm(h, a, have);
                if (!have.containsKey(freshRecipe(h, a, chosen.factor(), seed).hash())) return null;
            }
            out.add(new ScaleVerdict.SizeResult(s.label(), arm(h, s.start(), have).seeds(), arm(h, s.best(), have).seeds()));
        }
        return out;
    }

    /**
     * Runs the check at the end of a study (queueing what is missing, running what has not ended), decides its runs
     * and notes its table; returns the verdict, NOT_CHECKED with the reason when it was skipped, or null when the study
     * does not check at scale or kept nothing.
     */
    static Verdict run(Conclusions.Context c) {
        var s = c.settings();
        var h = c.ledger().history();
        if (h.runsOf(Role.SCALE).isEmpty()) {
            var st = Standing.of(h);
            if (!s.scaleConfirm() || st.kept().isEmpty()) return null;
            var sizes = ScalePlan.sizes(s.start(), st.bestRecipe(), s.space());
            if (sizes.isEmpty()) return skipped(c, "the model cannot be made larger within the recipe's rules");
            var cost = ScalePlan.cost(sizes);
            if (!c.budget().canAffordScale(h, c.clock().spent(), cost))
                return skipped(c, String.format(Locale.ROOT, "the study budget has no room for its %d runs (%.0f study "
                        + "runs of time; %s)", cost.runs(), cost.runEquivalents(), c.budget().describe(h, c.clock().spent())));
        } else if (ONE_SIZE.equals(h.runsOf(Role.SCALE).getFirst().proposer())) {
            return finishRuns(c); // an older study's one-size check, resumed: end it the way it began
        }
        var before = h.before(firstScaleOrdinal(h));
        var st = Standing.of(before);
        var sizes = sizesAt(before, s);
        c.listener().phase("scale check: the starting and the best recipe at " + sizes.stream()
                .map(ScalePlan.Size::label).toList() + ", each at its own best learning rate");
        int seed = ScalePlan.sweepSeed(before);
        for (var size : sizes)
            for (var a : size.arms())
                for (double f : a.factors()) queue(c, st, a, sweepRecipe(h, a, f, seed), f);
        c.scheduler().executeAll(c.ledger().history().runsOf(Role.SCALE));
        // an arm whose sweep scored best at an edge goes on past it (LrSweep.next), a round of runs at a time
        for (int round = 0; round < LrSweep.MAX_EXTENSIONS; round++) {
            boolean queued = false;
            for (var size : sizes)
                for (var a : size.arms()) {
                    var now = c.ledger().history();
                    var next = extension(now, a, existing(now));
                    if (next.isEmpty()) continue;
                    queue(c, st, a, sweepRecipe(now, a, next.getAsDouble(), seed), next.getAsDouble());
                    queued = true;
                }
            if (!queued) break;
            c.scheduler().executeAll(c.ledger().history().runsOf(Role.SCALE));
        }
        for (var size : sizes)
            for (var a : size.arms()) {
                var now = c.ledger().history();
                double f = arm(now, a, existing(now)).factor();
                queue(c, st, a, freshRecipe(now, a, f, seed), f);
            }
        return finishRuns(c);
    }

    private static void queue(Conclusions.Context c, Standing st, ScalePlan.Arm a, Recipe recipe, double factor) {
        var h = c.ledger().history();
        if (existing(h).containsKey(recipe.hash())) return;
        var s = c.settings();
        boolean start = a.name().equals("start");
        var small = start ? s.start() : st.bestRecipe();
        String trial = h.runsOf(Role.SCALE).stream().map(RunRecord::experiment).findFirst().orElse(null);
        c.ledger().queue(new NewRun(null, s.name(), recipe, start ? st.baselineRun() : st.bestRun(),
                Change.of(change(h.withSeed(small, (int) (recipe.seed() - h.start().seed())), recipe)), PROPOSER,
                String.format(Locale.ROOT, "Do the kept changes hold at a larger model? The %s recipe at width %d, "
                        + "%d layers, learning rate ×%s, seed %d.", start ? "starting" : "best", recipe.model().dim(),
                        recipe.model().layers(), factor, recipe.seed()), trial, Role.SCALE));
    }

    /** Runs what has not ended, decides every scale run as not a candidate, journals them and notes the verdict. */
    private static Verdict finishRuns(Conclusions.Context c) {
        var s = c.settings();
        c.scheduler().executeAll(c.ledger().history().runsOf(Role.SCALE));
        var h = c.ledger().history();
        var runs = h.runsOf(Role.SCALE);
        var verdict = verdict(h, s);
        var noise = Standing.of(h.before(runs.getFirst().ordinal())).noise().used();
        var undecided = runs.stream().filter(r -> !h.decided(r)).toList();
        if (!undecided.isEmpty())
            c.ledger().decide(undecided.stream().map(r -> new DecisionRecord(s.name(), r.id(), Decision.DISCARD,
                    r.metric(), null, null, noise, "scale check, not a candidate: " + verdict.text(), null)).toList());
        c.journal().runs(c.ledger().history(), runs);
        boolean oneSize = ONE_SIZE.equals(runs.getFirst().proposer());
        note(c, NOTE + verdict.text() + (oneSize ? "" : "\n\n" + ScaleTable.markdown(c.ledger().history(), s)));
        return verdict;
    }

    private static Verdict skipped(Conclusions.Context c, String why) {
        var v = notChecked(why);
        note(c, NOTE + v.text());
        return v;
    }

    private static void note(Conclusions.Context c, String text) {
        boolean noted = c.ledger().history().notes().stream().anyMatch(n -> n.body().startsWith(NOTE));
        if (!noted) c.note().accept(PROPOSER, text);
    }

    /**
     * The verdict of an older study's one-size check: the start and the best one size up, one seed each, the gain
     * against the noise floor and the study's keep bar.
     */
    static Verdict judgeOneSize(RunRecord start, RunRecord best, Standing before, double keepSigmas) {
        boolean ok = start.status() == RunStatus.FINISHED && best.status() == RunStatus.FINISHED && start.metric() != null
                && best.metric() != null;
        if (!ok) return new Verdict(Outcome.INCONCLUSIVE, "inconclusive: a scale run "
                + (start.status() != RunStatus.FINISHED ? start.status().id() : best.status().id()));
        double gain = start.metric() - best.metric();
        double z = gain / before.noise().used();
        double smallGain = before.baselineMetric() - before.bestMetric();
        var what = String.format(Locale.ROOT, "one size up, the best recipe scores %.4f against the starting recipe's "
                + "%.4f (%+.4f, %.1fσ; at the study's size the gain was %.4f)", best.metric(), start.metric(), -gain, z, smallGain);
        if (z > keepSigmas) return new Verdict(Outcome.HELD, "held — " + what);
        if (gain > 0) return new Verdict(Outcome.HELD_PARTLY, "held only partly — " + what + ", within the noise at the larger size");
        return new Verdict(Outcome.DID_NOT_HOLD, "did not hold — " + what);
    }

    /** The settings that differ between two recipes, as a change. */
    static Map<String, Object> change(Recipe from, Recipe to) {
        var a = from.flatten();
        var out = new LinkedHashMap<String, Object>();
        to.flatten().forEach((k, v) -> {
            if (!Objects.equals(a.get(k), v)) out.put(k, v);
        });
        return out;
    }
}
