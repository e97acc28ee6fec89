package dev.flywheel.lab.study;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.decide.PairedGain;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.NoteRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Replicates a study's finding: the starting recipe and the final best, and the best without each kept change
 * ({@link LeaveOneOut}), each on the same K fresh seeds, run through the study's {@link RunScheduler} as runs of role
 * {@link Role#REPLICATION}, every run scoring the held-out test split at its end. The report is a pure function of
 * the history ({@link #report}); the runs are found again by recipe (seed included), so a killed replication resumes
 * and a second one with more seeds reuses the first one's runs.
 *
 * <p>Fresh seeds are the K seed indices after the highest any run of the study's search used: the decisions never
 * saw them, so the winner's curse does not reach the replication. Seeds are run seed by seed, every arm on a seed
 * before the next seed, so a machine that slows down mid-way slows every arm alike.
 */
final class Replication {

    /** Seeds of a replication asked for without a number, and of the end of a study when its budget allows. */
    static final int SEEDS = 5;
    /** Seeds at the end of a study whose budget has no room for {@link #SEEDS}. */
    static final int SHORT_SEEDS = 3;

    static final String SKIPPED = "Replication skipped: ";

    private Replication() {
    }

    /**
     * What a replication on {@code k} seeds runs.
     *
     * @param seeds    seed indices (the study's base seed plus each)
     * @param recipes  every distinct recipe to run on those seeds, under the base seed: the start, the best, the
     *                 ablations (an ablation that is the start shares its runs)
     */
    record Plan(List<Integer> seeds, Recipe start, Recipe best, List<LeaveOneOut> ablations, List<Recipe> recipes) {

        /** The runs the plan needs, seed by seed. */
        List<Recipe> runs(StudyHistory h) {
            var out = new ArrayList<Recipe>();
            for (int s : seeds) for (var r : recipes) out.add(h.withSeed(r, s));
            return out;
        }
    }

    static Plan plan(StudyHistory h, int k) {
        var st = Standing.of(h);
        var start = h.start();
        var best = st.bestRecipe();
        var ablations = LeaveOneOut.of(h);
        var recipes = new LinkedHashMap<String, Recipe>();
        for (var r : (Iterable<Recipe>) java.util.stream.Stream.concat(java.util.stream.Stream.of(start, best),
                ablations.stream().map(LeaveOneOut::recipe).filter(java.util.Objects::nonNull))::iterator)
            recipes.putIfAbsent(h.withSeed(r, 0).hash(), h.withSeed(r, 0));
        return new Plan(freshSeeds(h, k), h.withSeed(start, 0), h.withSeed(best, 0), ablations,
                List.copyOf(recipes.values()));
    }

    /**
     * The {@code k} seed indices after the highest any run of the search used: not the replication's own, nor the
     * scale check's (at other sizes, after every decision), so a replication begun before the scale check keeps its
     * seeds after it.
     */
    static List<Integer> freshSeeds(StudyHistory h, int k) {
        long base = h.start().seed();
        int next = (int) h.runs().stream().filter(r -> r.role() != Role.REPLICATION && r.role() != Role.SCALE)
                .mapToLong(r -> r.recipe().seed() - base).max().orElse(-1) + 1;
        var out = new ArrayList<Integer>();
        for (int i = 0; i < k; i++) out.add(next + i);
        return out;
    }

    /** The replication runs already queued, by recipe hash (seed included). */
    static Map<String, RunRecord> existing(StudyHistory h) {
        return h.runsByRecipe(Role.REPLICATION);
    }

    /** How many runs the plan still has to queue. */
    static int missing(StudyHistory h, Plan p) {
        var have = existing(h);
        return (int) p.runs(h).stream().filter(r -> !have.containsKey(r.hash())).count();
    }

    /**
     * Replicates on {@code k} seeds: queues what is missing, runs what has not ended, journals the table.
     *
     * @param inStudy the study is still running: the runs must fit its budget like an experiment's
     */
    static ReplicationReport run(Conclusions.Context c, int k, boolean inStudy) {
        if (k < 2 || k > 20) throw new LabException("a replication needs 2 to 20 seeds (got " + k + ")");
        var h = c.ledger().history();
        if (Standing.of(h).kept().isEmpty()) return nothingKept(c);
        var plan = plan(h, k);
        int missing = missing(h, plan);
        // the budget already holds back the end's replication on SHORT_SEEDS seeds, whose seeds this one shares
        int beyondReserve = missing(h, plan(h, Math.max(k, SHORT_SEEDS))) - missing(h, plan(h, SHORT_SEEDS));
        if (inStudy && missing > 0 && !c.budget().canAfford(h, c.clock().spent(), beyondReserve, false,
                Conclusions.concluding(c.settings().dir(), h)))
            throw new LabException("the study budget has no room for the replication's " + missing + " runs ("
                    + c.budget().describe(h, c.clock().spent()) + "); ask for fewer seeds, or replicate after the study "
                    + "with `flywheel replicate`");
        return execute(c, plan);
    }

    /** The end of a study: a replication on {@link #SEEDS} seeds, else {@link #SHORT_SEEDS}, else a note. */
    static ReplicationReport atEnd(Conclusions.Context c) {
        var h = c.ledger().history();
        if (Standing.of(h).kept().isEmpty()) return null;
        int k = endSeeds(h, c.budget(), c.clock().spent());
        if (k > 0) return execute(c, plan(h, k));
        int runs = missing(h, plan(h, SHORT_SEEDS));
        note(c, SKIPPED + String.format(Locale.ROOT, "the study budget has no room for its %d runs (%d seeds × %d "
                + "recipes; %s). Run `flywheel replicate %s` to replicate the finding.", runs, SHORT_SEEDS,
                plan(h, SHORT_SEEDS).recipes().size(), c.budget().describe(h, c.clock().spent()), c.settings().name()));
        return null;
    }

    /**
     * The seeds the end of a study replicates on: {@link #SEEDS} if they fit the budget, else {@link #SHORT_SEEDS},
     * else 0. Runs already queued need no room: a resumed end finishes what it began whatever the budget says by now.
     */
    static int endSeeds(StudyHistory h, StudyBudgetPolicy budget, double spent) {
        for (int k : new int[]{SEEDS, SHORT_SEEDS}) {
            int missing = missing(h, plan(h, k));
            if (missing == 0 || budget.canAfford(h, spent, missing, true, true)) return k;
        }
        return 0;
    }

    private static ReplicationReport execute(Conclusions.Context c, Plan plan) {
        var s = c.settings();
        var h = c.ledger().history();
        var have = existing(h);
        String trial = h.runsOf(Role.REPLICATION).stream().map(RunRecord::experiment).findFirst().orElse(null);
        var st = Standing.of(h);
        var runs = new ArrayList<RunRecord>();
        for (var recipe : plan.runs(h)) {
            var run = have.get(recipe.hash());
            if (run == null) {
                var ablation = plan.ablations().stream().filter(a -> a.recipe() != null
                        && h.withSeed(a.recipe(), 0).hash().equals(h.withSeed(recipe, 0).hash())).findFirst().orElse(null);
                var isStart = h.withSeed(recipe, 0).equals(plan.start());
                var isBest = h.withSeed(recipe, 0).equals(plan.best());
                String why = isStart ? "the starting recipe" : isBest ? "the best recipe"
                        : "the best recipe without " + ablation.change() + " (" + ablation.trial() + ")";
                run = c.ledger().queue(new NewRun(null, s.name(), recipe, isStart ? st.baselineRun() : st.bestRun(),
                        isStart || isBest ? null : ablation.revert(), "replication",
                        "Replication: " + why + " on the fresh seed " + recipe.seed() + ".", trial, Role.REPLICATION));
                if (trial == null) trial = run.id();
            }
            runs.add(run);
        }
        c.listener().phase(String.format(Locale.ROOT, "replication: %d recipes on %d fresh seeds",
                plan.recipes().size(), plan.seeds().size()));
        c.scheduler().executeAll(runs);
        testMissing(c, runs);
        var report = report(c.ledger().history(), plan, s.name(), s.metric().id());
        c.journal().replication(report, h.withSeed(plan.best(), 0).hash());
        return report;
    }

    /**
     * Scores the test split for the runs that ended without it (killed between the run's end and its record): each
     * from its own final checkpoint.
     */
    private static void testMissing(Conclusions.Context c, List<RunRecord> runs) {
        var h = c.ledger().history();
        for (var queued : runs) {
            var r = h.run(queued.id()).orElseThrow();
            if (r.testMetric() != null || !StudyHistory.complete(r) || r.checkpointPath() == null) continue;
            try {
                var test = HeldOutTest.evaluate(r.recipe(), Path.of(r.checkpointPath()),
                        new DataCache(c.settings().cacheRoot()), c.settings().threads(), Metric.VAL_BPB);
                if (test != null) c.ledger().testMetric(r.id(), test);
            } catch (RuntimeException e) {
                // the run's test figure stays missing and its seed leaves the test pairs; the validation ones stand
                c.listener().phase("the held-out test of " + r.id() + " failed: " + e.getMessage());
            }
        }
    }

    /** The figures from the replication runs in {@code h}. */
    static ReplicationReport report(StudyHistory h, Plan plan, String study, String metric) {
        var have = existing(h);
        var baseline = arm(h, plan, plan.start(), have);
        var best = arm(h, plan, plan.best(), have);
        var ablations = new ArrayList<ReplicationReport.Ablation>();
        for (var a : plan.ablations()) {
            var arm = a.recipe() == null ? null : arm(h, plan, a.recipe(), have);
            ablations.add(new ReplicationReport.Ablation(a.trial(), a.change(), a.revert().describe(), arm,
                    arm == null ? null : PairedGain.of(arm.metrics(), best.metrics()), a.problem()));
        }
        var seeds = plan.seeds().stream().map(i -> h.start().seed() + i).toList();
        return new ReplicationReport(study, metric, seeds, baseline, best, PairedGain.of(baseline.metrics(), best.metrics()),
                PairedGain.of(baseline.testMetrics(), best.testMetrics()), ablations, null);
    }

    private static ReplicationReport.Arm arm(StudyHistory h, Plan plan, Recipe recipe, Map<String, RunRecord> have) {
        int n = plan.seeds().size();
        var ids = new ArrayList<String>();
        double[] metrics = new double[n], tests = new double[n];
        for (int i = 0; i < n; i++) {
            var run = have.get(h.withSeed(recipe, plan.seeds().get(i)).hash());
            var r = run == null ? null : h.run(run.id()).orElse(run);
            ids.add(r == null ? null : r.id());
            metrics[i] = r != null && StudyHistory.complete(r) ? r.metric() : Double.NaN;
            tests[i] = r != null && StudyHistory.complete(r) && r.testMetric() != null ? r.testMetric() : Double.NaN;
        }
        return new ReplicationReport.Arm(recipe.hash(), ids, metrics, tests);
    }

    private static ReplicationReport nothingKept(Conclusions.Context c) {
        var s = c.settings();
        var none = new PairedGain(0, 0, Double.NaN, Double.NaN); // one recipe: no difference, and nothing measured
        return new ReplicationReport(s.name(), s.metric().id(), List.of(), null, null, none, none, List.of(),
                "Nothing was kept: the best recipe is the starting recipe, so there is nothing to replicate.");
    }

    private static void note(Conclusions.Context c, String text) {
        boolean noted = c.ledger().history().notes().stream().anyMatch(n -> n.body().startsWith(SKIPPED));
        if (!noted) c.note().accept(NoteRecord.STUDY, text);
    }
}
