package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.SearchSpace;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The learning-rate mini-sweep a study runs before a structural experiment (docs/decision.md, "Structural changes:
 * each arm at its own learning rate"): the changed recipe and the best recipe, each at ×0.5, ×1 and ×2 its learning
 * rate ({@link LrSweep}) on the <em>sweep seed</em>, an arm whose best is at an edge extended past it ({@link
 * LrSweep#next}: up to ×1/8 or ×8), so that the change is then tested at its own best rate against
 * the best at its own.
 *
 * <p>Each arm's sweep is one trial of {@link Role#SWEEP} runs with its ×1 run first, so a run's factor is its rate
 * over its trial's first run's, and the sweeps an experiment was judged by can be read back from the history alone
 * ({@link #of}). Sweep runs are found again by recipe, seed included: the best's sweep is shared by every structural
 * experiment from the same best, and a study killed mid-sweep resumes without running anything twice. The sweep seed
 * is one no earlier run used and is never one of the paired test's seeds, so picking the best of three on it does not
 * flatter the test. Sweep runs are never candidates for the best: each is recorded as a discard.
 */
final class StructuralSweep {

    /** One arm's sweep: the factors it ran, ascending, and the metric at each (NaN: failed, or not run yet). */
    record Arm(List<Double> factors, double[] metrics) {

        /** The factor the sweep chose ({@link LrSweep#best}). */
        double chosen() {
            return factors.get(LrSweep.best(factors, metrics));
        }

        /** {@code ×0.5 2.3100, ×1 2.2500, ×2 2.2100}; a failed run is "failed". */
        String describe() {
            var parts = new ArrayList<String>();
            for (int i = 0; i < factors.size(); i++)
                parts.add(factor(factors.get(i)) + " " + (Double.isFinite(metrics[i])
                        ? String.format(Locale.ROOT, "%.4f", metrics[i]) : "failed"));
            return String.join(", ", parts);
        }
    }

    /** Both arms' sweeps: the change's and the best's. */
    record Choice(Arm changed, Arm parent) {

        /** Whether the best is compared at a rate other than its own, so the experiment needs reference runs. */
        boolean needsReference() {
            return parent.chosen() != 1.0;
        }

        /** "the change at ×2 (its sweep: …) against the best at ×1 (its sweep: …)": what the experiment is judged at. */
        String describe() {
            return "the change at " + factor(changed.chosen()) + " its learning rate (its sweep: " + changed.describe()
                    + ") against the best at " + factor(parent.chosen()) + " (its sweep: " + parent.describe() + ")";
        }
    }

    /**
     * The sweep a structural experiment needs: the sweep seed, and each arm's recipe at ×1 (under the base seed) with
     * the factors the search space allows for it: to sweep, and to reach by edge extension ({@link LrSweep#reach}).
     */
    record Plan(long seed, Recipe changed, List<Double> changedFactors, Recipe parent, List<Double> parentFactors,
                List<Double> changedReach, List<Double> parentReach) {

        /** The changed arm's runs, ×1 first. */
        List<Recipe> changedRuns() {
            return runs(changed, changedFactors);
        }

        /** The best's runs, ×1 first. */
        List<Recipe> parentRuns() {
            return runs(parent, parentFactors);
        }

        private List<Recipe> runs(Recipe r, List<Double> factors) {
            var out = new ArrayList<Recipe>();
            out.add(r.with("seed", seed));
            for (double f : factors) if (f != 1.0) out.add(LrSweep.scaled(r, f).with("seed", seed));
            return out;
        }
    }

    private final String study;
    private final Ledger ledger;
    private final RunScheduler scheduler;
    private final JournalWriter journal;
    private final StudyListener listener;

    StructuralSweep(String study, Ledger ledger, RunScheduler scheduler, JournalWriter journal, StudyListener listener) {
        this.study = study;
        this.ledger = ledger;
        this.scheduler = scheduler;
        this.journal = journal;
        this.listener = listener;
    }

    /**
     * The sweep for changing {@code best} into {@code changed}: on the best's sweep seed if its sweep began, else on a
     * seed no run has used.
     */
    static Plan plan(StudyHistory h, SearchSpace space, Recipe best, Recipe changed) {
        var parent = h.withSeed(best, 0);
        long seed = h.runsOf(Role.SWEEP).stream()
                .filter(r -> r.id().equals(r.experiment()) && h.withSeed(r.recipe(), 0).hash().equals(parent.hash()))
                .map(r -> r.recipe().seed()).findFirst().orElse(h.start().seed() + h.freshSeedIndex());
        var c = h.withSeed(changed, 0);
        return new Plan(seed, c, LrSweep.factors(c, space), parent, LrSweep.factors(parent, space),
                LrSweep.reach(c, space), LrSweep.reach(parent, space));
    }

    /** The sweep runs already queued, by recipe hash (seed included). */
    static Map<String, RunRecord> existing(StudyHistory h) {
        return h.runsByRecipe(Role.SWEEP);
    }

    /**
     * How many runs the plan's base sweeps still have to queue: 6 for a first sweep, 3 once the best's sweep is
     * shared. Edge extensions (up to {@link LrSweep#MAX_EXTENSIONS} an arm) are not counted: whether they run is
     * known only once the base sweep has ended.
     */
    static int missing(StudyHistory h, Plan p) {
        var have = existing(h);
        return (int) java.util.stream.Stream.concat(p.changedRuns().stream(), p.parentRuns().stream())
                .filter(r -> !have.containsKey(r.hash())).count();
    }

    /** Both arms as the history has them: each from its trial, the trial of its ×1 run. */
    static Choice choice(StudyHistory h, Plan p) {
        var have = existing(h);
        return new Choice(arm(h, have.get(p.changedRuns().getFirst().hash())),
                arm(h, have.get(p.parentRuns().getFirst().hash())));
    }

    /** The factor the best's sweep chose, once every run of it has ended and it needs no edge extension; empty before. */
    static java.util.OptionalDouble bestChoice(StudyHistory h, Plan p) {
        var have = existing(h);
        var none = java.util.OptionalDouble.empty();
        for (var r : p.parentRuns()) {
            var run = have.get(r.hash());
            if (run == null || !h.run(run.id()).orElseThrow().status().isFinal()) return none;
        }
        if (!h.trial(have.get(p.parentRuns().getFirst().hash()).experiment()).stream().allMatch(r -> r.status().isFinal()))
            return none;
        var parent = choice(h, p).parent();
        return LrSweep.next(parent.factors(), parent.metrics(), p.parentReach()).isPresent() ? none
                : java.util.OptionalDouble.of(parent.chosen());
    }

    /**
     * The sweeps {@code experiment} (its first run) was judged by, or empty when it was not swept: the sweep trial
     * holding its own recipe on the sweep seed, and the sweep trial of the best it was compared with on that seed; each
     * with the runs queued before the experiment (a shared sweep extended later is read as the experiment saw it).
     */
    static Optional<Choice> of(StudyHistory all, RunRecord experiment) {
        var h = experiment.ordinal() == null ? all : all.before(experiment.ordinal());
        var own = h.withSeed(experiment.recipe(), 0).hash();
        var changed = h.runsOf(Role.SWEEP).stream().filter(r -> h.withSeed(r.recipe(), 0).hash().equals(own)).findFirst();
        if (changed.isEmpty()) return Optional.empty();
        long seed = changed.get().recipe().seed();
        var best = Standing.of(h.before(experiment.ordinal())).bestRecipe().with("seed", seed).hash();
        var parent = h.runsOf(Role.SWEEP).stream().filter(r -> r.recipeHash().equals(best)).findFirst();
        return parent.map(p -> new Choice(arm(h, h.run(changed.get().experiment()).orElseThrow()), arm(h, p)));
    }

    /** The arm whose ×1 run is {@code one}: every run of its trial, by factor (its rate over ×1's). */
    static Arm arm(StudyHistory h, RunRecord one) {
        if (one == null) return new Arm(List.of(1.0), new double[]{Double.NaN});
        var byFactor = new java.util.TreeMap<Double, Double>();
        for (var r : h.trial(one.experiment()))
            byFactor.put(factorOf(r, one), StudyHistory.complete(r) ? r.metric() : Double.NaN);
        return new Arm(List.copyOf(byFactor.keySet()), byFactor.values().stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * A sweep run's factor: its rate over its arm's ×1 rate (×0.5 and ×2, and the extensions ×1/8, ×1/4, ×4, ×8, are
     * exact in floating point).
     */
    private static double factorOf(RunRecord r, RunRecord one) {
        return r.recipe().optimizer().lr() / one.recipe().optimizer().lr();
    }

    static String factor(double f) {
        return "×" + (f == Math.rint(f) ? String.valueOf((long) f) : String.valueOf(f));
    }

    /**
     * Queues what the plan misses (the best's arm first, each arm ×1 first), runs what has not ended, records each
     * run as a discard, journals them; then, while an arm's sweep scores best at an edge, one more run of it past that
     * edge ({@link LrSweep#next}), a round at a time; returns both arms' choice.
     */
    Choice run(Plan plan, Change change, String proposer) {
        var h = ledger.history();
        var st = Standing.of(h);
        listener.phase(String.format(Locale.ROOT, "learning-rate sweep on seed %d before judging %s at its own rate",
                plan.seed(), change.describe()));
        java.util.function.DoubleFunction<Change> parentChange = f -> f == 1.0 ? null : Change.of(LrSweep.scaling(plan.parent(), f));
        java.util.function.DoubleFunction<String> parentWhy = f -> "Learning-rate sweep of the best recipe at " + factor(f)
                + " its rate on the sweep seed " + plan.seed() + ": a structural change from this best is compared with "
                + "the best at its own rate." + edge(f);
        java.util.function.DoubleFunction<Change> changedChange = f -> merged(change, plan.changed(), f);
        java.util.function.DoubleFunction<String> changedWhy = f -> "Learning-rate sweep of " + change.describe() + " at "
                + factor(f) + " its rate on the sweep seed " + plan.seed() + ": a structural change moves the best rate, "
                + "so it is judged at its own." + edge(f);
        queue(plan.parentRuns(), parentChange, st.bestRun(), "study", parentWhy);
        queue(plan.changedRuns(), changedChange, st.bestRun(), proposer, changedWhy);
        settle();
        for (int round = 0; round < LrSweep.MAX_EXTENSIONS; round++) {
            boolean parent = extend(plan.parentRuns().getFirst(), plan.parent(), plan.parentReach(), plan.seed(),
                    parentChange, st.bestRun(), "study", parentWhy);
            boolean changed = extend(plan.changedRuns().getFirst(), plan.changed(), plan.changedReach(), plan.seed(),
                    changedChange, st.bestRun(), proposer, changedWhy);
            if (!parent && !changed) break;
            settle();
        }
        return choice(ledger.history(), plan);
    }

    private static String edge(double f) {
        return LrSweep.FACTORS.contains(f) ? "" : " Its sweep scored best at an edge, so it goes on past it.";
    }

    /**
     * Queues the edge extension the arm whose ×1 run is {@code one} needs ({@link LrSweep#next}) into its trial;
     * whether it queued one.
     */
    private boolean extend(Recipe one, Recipe base, List<Double> reach, long seed,
                           java.util.function.DoubleFunction<Change> change, String parent, String proposer,
                           java.util.function.DoubleFunction<String> why) {
        var h = ledger.history();
        var have = existing(h);
        var first = have.get(one.hash());
        if (first == null) return false;
        var arm = arm(h, first);
        var next = LrSweep.next(arm.factors(), arm.metrics(), reach);
        if (next.isEmpty()) return false;
        double f = next.getAsDouble();
        var r = LrSweep.scaled(base, f).with("seed", seed);
        if (have.containsKey(r.hash())) return false;
        ledger.queue(new NewRun(null, study, r, parent, change.apply(f), proposer, why.apply(f), first.experiment(),
                Role.SWEEP));
        return true;
    }

    /** The change with the rates of {@code changed} scaled by {@code f} (the change itself at ×1). */
    static Change merged(Change change, Recipe changed, double f) {
        if (f == 1.0) return change;
        var values = new LinkedHashMap<String, Object>(change.values());
        values.putAll(LrSweep.scaling(changed, f));
        return Change.of(values);
    }

    private void queue(List<Recipe> runs, java.util.function.DoubleFunction<Change> change, String parent,
                       String proposer, java.util.function.DoubleFunction<String> why) {
        var one = runs.getFirst();
        var have = existing(ledger.history());
        String trial = have.containsKey(one.hash()) ? have.get(one.hash()).experiment() : null;
        for (var r : runs) {
            if (have.containsKey(r.hash())) continue;
            double f = r.optimizer().lr() / one.optimizer().lr();
            var queued = ledger.queue(new NewRun(null, study, r, parent, change.apply(f), proposer, why.apply(f), trial,
                    Role.SWEEP));
            if (trial == null) trial = queued.id();
        }
    }

    /** Runs every sweep run not ended and records every one not decided (also what a killed study left behind). */
    void settle() {
        var open = ledger.history().runsOf(Role.SWEEP).stream().filter(r -> !ledger.history().decided(r)).toList();
        if (open.isEmpty()) return;
        scheduler.executeAll(open);
        var h = ledger.history();
        var runs = open.stream().map(r -> h.run(r.id()).orElseThrow())
                .sorted(Comparator.comparing(RunRecord::ordinal)).toList();
        ledger.decide(runs.stream().map(r -> new DecisionRecord(study, r.id(), Decision.DISCARD, r.metric(), null, null,
                null, rationale(r, h.run(r.experiment()).orElseThrow()), null)).toList());
        journal.runs(ledger.history(), runs);
    }

    /** "learning-rate sweep: ×2 scored 2.2100 on the sweep seed 1340; not a candidate for the best". */
    static String rationale(RunRecord r, RunRecord one) {
        var f = factor(factorOf(r, one));
        return "learning-rate sweep: " + f + (StudyHistory.complete(r)
                ? String.format(Locale.ROOT, " scored %.4f", r.metric()) : " " + r.status().id())
                + " on the sweep seed " + r.recipe().seed() + "; not a candidate for the best";
    }
}
