package dev.flywheel.lab.study;

import dev.flywheel.lab.Pause;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * Queues an experiment's runs and settles it: runs what is unfinished, asks the study's decision procedure for the
 * call, adds seeds while the call wants them, records the decision and journals it. Under the paired procedure a seed
 * the best recipe has not run yet is run first for it ({@link Role#REMEASURE}), and a kept change is re-measured on
 * fresh seeds. Everything it decides it decides from the history, so settling again after a kill repeats nothing.
 */
final class Experiments {

    private final StudySettings settings;
    private final Ledger ledger;
    private final RunScheduler scheduler;
    private final JournalWriter journal;
    private final StudyListener listener;
    private final IntPredicate fits;
    private final Function<String, ExperimentResult> result;
    private final StructuralSweep sweep;

    /**
     * @param fits   whether this many more runs fit in the budget (outside the conclusion's reserve)
     * @param result an experiment's result, for the listener
     */
    Experiments(StudySettings settings, Ledger ledger, RunScheduler scheduler, JournalWriter journal,
                StudyListener listener, IntPredicate fits, Function<String, ExperimentResult> result) {
        this.settings = settings;
        this.ledger = ledger;
        this.scheduler = scheduler;
        this.journal = journal;
        this.listener = listener;
        this.fits = fits;
        this.result = result;
        this.sweep = new StructuralSweep(settings.name(), ledger, scheduler, journal, listener);
    }

    private StudyHistory now() {
        return ledger.history();
    }

    private String study() {
        return settings.name();
    }

    /**
     * Runs the starting recipe under {@code noise_seeds} seeds (once; a resumed study only completes what is
     * missing) and records the baseline's decisions: their mean is the first best, their spread the noise floor.
     *
     * @throws dev.flywheel.lab.LabException when every baseline run failed: the starting recipe itself must be fixed
     */
    void baseline() {
        var runs = now().runsOf(Role.BASELINE);
        if (!now().allDecided(runs)) {
            if (runs.size() < settings.noiseSeeds())
                listener.phase(String.format(Locale.ROOT, "baseline: the starting recipe under %d seeds, to measure the noise floor",
                        settings.noiseSeeds()));
            String trial = runs.isEmpty() ? null : runs.getFirst().experiment();
            for (int i = runs.size(); i < settings.noiseSeeds(); i++) {
                var recipe = now().withSeed(settings.start(), i);
                var queued = ledger.queue(new NewRun(null, study(), recipe, null, null, "baseline",
                        i == 0 ? "the starting recipe" : "the starting recipe with seed " + recipe.seed()
                                + ", to measure the noise floor", trial, Role.BASELINE));
                if (trial == null) trial = queued.id();
            }
            scheduler.executeAll(now().runsOf(Role.BASELINE));
            runs = now().runsOf(Role.BASELINE);
            ledger.decide(DecisionPolicy.baseline(study(), runs));
        }
        journal.runs(now(), runs);
        if (runs.stream().noneMatch(r -> r.metric() != null && r.status() == RunStatus.FINISHED))
            throw new dev.flywheel.lab.LabException("the starting recipe failed in every baseline run ("
                    + runs.getFirst().status().id() + ": " + runs.getFirst().error()
                    + "); fix the recipe or the data and start a new study");
    }

    /** Runs an experiment needs before its first call: the paired rule's minimum, else what the proposer asked. */
    int initialSeeds(int asked) {
        var d = settings.decisions();
        return d.paired() ? Math.min(d.maxSeeds(), Math.max(asked, d.minSeeds())) : asked;
    }

    /**
     * What an experiment of {@code seeds} runs must leave room for: under the paired rule also the best's runs on
     * seeds it has not run yet, and a re-measure in case it is kept.
     */
    int reserve(int seeds) {
        var d = settings.decisions();
        if (!d.paired()) return seeds;
        return seeds + Math.max(0, seeds - PairedPolicy.parent(now()).runs().size()) + d.remeasureSeeds();
    }

    /**
     * What an experiment of {@code seeds} runs of {@code change} (making {@code recipe}) must leave room for: a
     * structural change swept first also needs the sweep runs still missing and, unless the best's sweep already chose
     * ×1, reference runs of the best at its own rate on each seed (in place of the best's runs on new seeds).
     */
    int reserve(int seeds, Recipe recipe, Change change) {
        if (!settings.decisions().sweeps(change)) return reserve(seeds);
        var plan = plan(recipe);
        boolean atOwnRate = StructuralSweep.bestChoice(now(), plan).orElse(0) == 1.0;
        int pairing = atOwnRate ? reserve(seeds) : seeds + seeds + settings.decisions().remeasureSeeds();
        return pairing + StructuralSweep.missing(now(), plan);
    }

    private StructuralSweep.Plan plan(Recipe recipe) {
        return StructuralSweep.plan(now(), settings.space(), Standing.of(now()).bestRecipe(), recipe);
    }

    /**
     * Queues an experiment's first runs and returns its trial id. A structural change under the paired procedure is
     * swept first ({@link StructuralSweep}): it is then run at the rate its sweep chose, the rate carried in its
     * change so that, kept, the new best has it; and when the best's sweep chose a rate other than the best's own,
     * the best at that rate is run on each of the experiment's seeds as what the change is paired with.
     */
    String start(Recipe recipe, Change change, String proposer, String hypothesis, int seeds) {
        if (!settings.decisions().sweeps(change)) return queue(recipe, change, proposer, hypothesis, seeds, null);
        var choice = sweep.run(plan(recipe), change, proposer);
        double fc = choice.changed().chosen(), fp = choice.parent().chosen();
        var best = Standing.of(now()).bestRecipe();
        return queue(LrSweep.scaled(recipe, fc), StructuralSweep.merged(change, recipe, fc), proposer,
                hypothesis + " [The study swept the learning rate first: " + choice.describe() + "; the change runs at "
                        + StructuralSweep.factor(fc) + " and is paired with the best at " + StructuralSweep.factor(fp)
                        + ", each arm at the rate its own sweep scored best at.]",
                seeds, choice.needsReference() ? LrSweep.scaled(best, fp) : null);
    }

    /** Whether the error budget has α left for another experiment: with none, nothing more could be kept. */
    boolean canStillKeep() {
        return !settings.decisions().paired() || PairedPolicy.budget(now(), settings.decisions()).next() > 0;
    }

    /** Queues the experiment's first runs, each with its reference run if {@code reference} is not null. */
    private String queue(Recipe recipe, Change change, String proposer, String hypothesis, int seeds, Recipe reference) {
        var st = Standing.of(now());
        String trial = null;
        for (int i = 0; i < seeds; i++) {
            var seeded = reference == null ? seedFor(recipe, i) : referencedSeed(recipe, i);
            var queued = ledger.queue(new NewRun(null, study(), seeded, st.bestRun(), change, proposer,
                    hypothesis, trial, Role.EXPERIMENT));
            if (trial == null) trial = queued.id();
            if (reference != null) queueReference(trial, reference, seeded.seed());
        }
        return trial;
    }

    /**
     * The best at its swept rate on {@code seed}, for the experiment {@code trial}: in a trial of its own (the
     * experiment's trial holds the experiment's runs only), each run naming the experiment as its parent.
     */
    private void queueReference(String trial, Recipe reference, long seed) {
        var refs = PairedPolicy.references(now(), trial);
        var best = Standing.of(now().before(now().run(trial).orElseThrow().ordinal())).bestRecipe();
        ledger.queue(new NewRun(null, study(), reference.with("seed", seed), trial,
                Change.of(LrSweep.scaling(best, reference.optimizer().lr() / best.optimizer().lr())), "study",
                "The best recipe at the learning rate its own sweep chose, on seed " + seed + ": what the structural "
                        + "change " + trial + " is paired with.", refs.isEmpty() ? null : refs.getFirst().experiment(),
                Role.REFERENCE));
    }

    /**
     * The {@code j}-th seed of an experiment paired with reference runs: the best's j-th seed while it has one (the
     * best's own runs are not needed, the reference runs pair), else a fresh seed.
     */
    private Recipe referencedSeed(Recipe recipe, int j) {
        var parent = PairedPolicy.parent(now());
        return j < parent.runs().size() ? recipe.with("seed", parent.seed(j)) : now().withSeed(recipe, freshSeed());
    }

    /**
     * The experiment's recipe under its {@code j}-th seed. Under the paired procedure that is the best's j-th seed,
     * run first for the best on a fresh seed when it has none; otherwise the study's base seed plus j.
     */
    private Recipe seedFor(Recipe recipe, int j) {
        if (!settings.decisions().paired()) return now().withSeed(recipe, j);
        var parent = PairedPolicy.parent(now());
        var pending = now().runsOf(Role.REMEASURE).stream().filter(r -> !r.status().isFinal()).toList();
        if (j >= parent.runs().size() + pending.size()) {
            var st = Standing.of(now());
            ledger.queue(new NewRun(null, study(), now().withSeed(st.bestRecipe(), freshSeed()), st.bestExperiment(), null,
                    "study", "The best recipe on a fresh seed, so that an experiment's seed " + (j + 1)
                    + " has a run of the best to pair with.", null, Role.REMEASURE));
        }
        settleRemeasures();
        parent = PairedPolicy.parent(now());
        return j < parent.runs().size() ? recipe.with("seed", parent.seed(j)) : now().withSeed(recipe, freshSeed());
    }

    /** The next seed index no run of the study has used. */
    private int freshSeed() {
        return now().freshSeedIndex();
    }

    /** Completes every experiment that has unfinished or undecided runs, in order. */
    void settlePending() {
        settleRemeasures();
        sweep.settle();
        for (var e : now().pendingExperiments()) {
            listener.phase("resuming experiment " + e);
            settle(e);
        }
    }

    /** Runs what is unfinished in the experiment and decides it. */
    void settle(String trial) {
        while (true) {
            settleRemeasures();
            scheduler.executeAll(now().trial(trial));
            scheduler.executeAll(PairedPolicy.references(now(), trial));
            var runs = now().trial(trial);
            if (now().allDecided(runs)) {
                journal.runs(now(), withReferences(trial, runs));
                return;
            }
            Pause.at("before-decision");
            boolean more = settings.decisions().paired() ? decidePaired(trial, runs) : decideByKeepRule(trial, runs);
            if (more) continue;
            journal.runs(now(), withReferences(trial, now().trial(trial)));
            listener.decided(result.apply(trial));
            if (settings.decisions().paired() && now().decision(runs.getFirst().id()).decision() == Decision.KEEP)
                remeasure(runs.getFirst());
            return;
        }
    }

    /** The keep rule's call; true when it queued a confirmation seed. */
    private boolean decideByKeepRule(String trial, List<RunRecord> runs) {
        var before = Standing.of(now().before(runs.getFirst().ordinal()));
        boolean confirmed = runs.stream().anyMatch(r -> r.role() == Role.CONFIRM);
        var verdict = DecisionPolicy.experiment(before, runs, settings.keepSigmas(), !confirmed && fits.test(1));
        if (verdict.kind() == KeepRule.Kind.CONFIRM) {
            addSeed(trial, runs, "Confirming a close call with another seed: " + verdict.rationale());
            return true;
        }
        ledger.decide(DecisionPolicy.records(study(), runs, before, verdict));
        return false;
    }

    /** The paired rule's call; true when it queued another seed. */
    private boolean decidePaired(String trial, List<RunRecord> runs) {
        var parent = PairedPolicy.parentOf(now(), runs.getFirst());
        int need = (runs.size() < parent.runs().size() ? 1 : 2) + settings.decisions().remeasureSeeds();
        var call = PairedPolicy.decide(study(), now(), runs, settings.decisions(), fits.test(need));
        return switch (call) {
            case PairedPolicy.Call.AddSeed a -> {
                addSeed(trial, runs, "Another paired seed, because the call is not clear yet: " + a.why());
                yield true;
            }
            case PairedPolicy.Call.Decide d -> {
                ledger.decide(withSweep(runs.getFirst(), d.decisions()));
                yield false;
            }
        };
    }

    /** The experiment's runs and then its reference runs, for the journal. */
    private List<RunRecord> withReferences(String trial, List<RunRecord> runs) {
        var out = new java.util.ArrayList<>(runs);
        out.addAll(PairedPolicy.references(now(), trial));
        return out;
    }

    /** The experiment's own records with the learning-rate sweep it was judged by named in their rationale. */
    private List<DecisionRecord> withSweep(RunRecord first, List<DecisionRecord> records) {
        var choice = StructuralSweep.of(now(), first);
        if (choice.isEmpty()) return records;
        var own = now().trial(first.experiment()).stream().map(RunRecord::id).toList();
        return records.stream().map(d -> !own.contains(d.run()) ? d : new DecisionRecord(d.study(), d.run(), d.decision(),
                d.metric(), d.bestBefore(), d.delta(), d.noiseFloor(), d.rationale() + ". Judged at each arm's own "
                + "learning rate: " + choice.get().describe(), d.decidedAt())).toList();
    }

    private void addSeed(String trial, List<RunRecord> runs, String why) {
        var first = runs.getFirst();
        var refs = PairedPolicy.references(now(), trial);
        var seeded = refs.isEmpty() ? seedFor(first.recipe(), runs.size()) : referencedSeed(first.recipe(), runs.size());
        ledger.queue(new NewRun(null, study(), seeded, first.parent(), first.change(),
                first.proposer(), why, trial, Role.CONFIRM));
        if (!refs.isEmpty()) queueReference(trial, refs.getFirst().recipe(), seeded.seed());
        listener.phase("not clear yet: another seed of " + trial);
    }

    /**
     * A kept change on {@code remeasureSeeds} fresh seeds: the seeds that kept it were selected for looking good, so
     * its metric from here on — and the table later experiments pair with — comes from these.
     */
    private void remeasure(RunRecord kept) {
        String trial = null;
        for (int i = 0; i < settings.decisions().remeasureSeeds(); i++) {
            var queued = ledger.queue(new NewRun(null, study(), now().withSeed(kept.recipe(), freshSeed()), kept.id(),
                    null, "study", "The kept change " + kept.id() + " re-measured on a fresh seed: the seeds that kept "
                    + "it were selected for looking good.", trial, Role.REMEASURE));
            if (trial == null) trial = queued.id();
        }
        listener.phase("re-measuring the kept change " + kept.id() + " on fresh seeds");
        settleRemeasures();
    }

    /** Runs and records every re-measurement not yet decided: each joins the best's table. */
    private void settleRemeasures() {
        var open = now().runsOf(Role.REMEASURE).stream().filter(r -> !now().decided(r)).toList();
        if (open.isEmpty()) return;
        scheduler.executeAll(open);
        for (var r : open) {
            var run = now().run(r.id()).orElseThrow();
            boolean ok = StudyHistory.complete(run);
            ledger.decide(List.of(new DecisionRecord(study(), run.id(), ok ? Decision.KEEP : Decision.DISCARD,
                    run.metric(), null, null, null, ok
                    ? String.format(Locale.ROOT, "the best recipe on seed %d joins the best's table of seeds "
                    + "(what experiments are paired with)", run.recipe().seed())
                    : "the best recipe on seed " + run.recipe().seed() + " " + run.status().id()
                    + "; the best's table goes on without it", null)));
        }
        journal.runs(now(), open.stream().map(r -> now().run(r.id()).orElseThrow()).toList());
    }
}
