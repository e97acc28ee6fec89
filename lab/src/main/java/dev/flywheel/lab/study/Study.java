package dev.flywheel.lab.study;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.exec.EarlyStop;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.store.NewStudy;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;

import java.nio.file.Path;
import java.util.List;

/**
 * A research session: the ask/tell shell both the built-in loop and an LLM agent's tools drive. Researchers ask
 * for the state and history and tell the study what to try ({@link #runExperiment}); the study holds the rules —
 * each a small policy fed the {@link StudyHistory}: the decision procedure ({@link DecisionPolicy}, {@link KeepRule}),
 * the noise floor ({@link NoiseFloor}, through {@link Standing}), the pruner ({@link Pruner}), the scale check
 * ({@link ScaleCheck}) and the budget ({@link StudyBudgetPolicy}) — and the record: every write goes to the store
 * and the history ({@link Ledger}), runs execute through the {@link RunScheduler}, and the {@link JournalWriter}
 * renders {@code journal.md}, {@code results.tsv} and {@code progress.png}.
 *
 * <pre>{@code
 * var study = Study.open(settings, false, store, new ChildJvmExecutor(), listener);
 * study.runBaseline();                                   // the starting recipe under noise_seeds seeds → σ
 * ExperimentResult r = study.runExperiment("builtin", "a higher peak rate should …",
 *         Change.of("optimizer.lr", 0.002), 1);          // validated, run, decided, journaled
 * Conclusion c = study.finish("summary");                // scale check, test split once, summary, best recipe
 * }</pre>
 *
 * <p>The history is read from the store once, so a study killed at any moment (kill -9 included) and opened again
 * with {@code resume} goes on where it stopped: ended runs are never run again, a run that was training restarts
 * from its last checkpoint, a decision that was not recorded is made again — the same way, since it depends only on
 * the history before it — and the journal files skip what they already hold.
 */
public final class Study implements Lab, AutoCloseable {

    public static final String BEST_RECIPE = "best-recipe.json", CANDIDATE_RECIPE = "candidate-recipe.json",
            FINISHING = "finishing.json";
    public static final String JOURNAL = "journal.md", RESULTS = "results.tsv", CHART = "progress.png";

    private final StudySettings settings;
    private final Ledger ledger;
    private final StudyListener listener;
    private final StudyBudgetPolicy budget;
    private final RunViews views;
    private final JournalWriter journal;
    private final RunScheduler scheduler;
    private final Experiments experiments;
    private final StudyClock clock;
    private Conclusion conclusion;
    /** Held from {@link #open} to {@link #close}; null for a study opened to {@link #inspect}. */
    private StudyLock lock;

    private Study(StudySettings settings, Store store, Executor executor, StudyListener listener, double spentBefore,
                  boolean readOnly) {
        this.settings = settings;
        this.listener = listener;
        this.ledger = new Ledger(store, settings.name(), StudyHistory.load(store, settings.name(), settings.start()));
        this.budget = StudyBudgetPolicy.of(settings);
        this.views = new RunViews(settings, store);
        this.clock = new StudyClock(spentBefore, readOnly);
        this.journal = readOnly ? null : new JournalWriter(settings, store);
        this.scheduler = readOnly ? null : new RunScheduler(settings, ledger, executor, listener, this::earlyStop,
                this::listenerStanding, this::saveSpent);
        this.experiments = readOnly ? null : new Experiments(settings, ledger, scheduler, journal, listener,
                runs -> canAfford(runs, false), this::result);
    }

    /** The study in {@code dir} for reading only, while it may be running in another process: nothing is written. */
    public static Study inspect(Path dir, Path cacheRoot, Store store) {
        if (!StudySettings.exists(dir))
            throw new LabException("there is no study in " + dir + "; check the name with `flywheel studies`");
        var settings = StudySettings.read(dir, cacheRoot);
        var record = store.study(settings.name()).orElseThrow(() -> new LabException("study " + settings.name()
                + " is not in the store " + store.url() + "; was it made with another --lab?"));
        var study = new Study(settings, store, null, StudyListener.NONE, record.spentSeconds(), true);
        if (record.finished()) study.conclusion = Conclusions.of(study.context(), record.summary());
        return study;
    }

    /**
     * Creates the study, or with {@code resume} opens the one in {@code settings.dir()} (whose saved settings then
     * win over the given ones, except how runs execute). Prepares the study's data before anything runs, so a bad
     * corpus fails here in one sentence.
     *
     * @throws LabException when the study exists and {@code resume} is false, or does not and it is true
     */
    public static Study open(StudySettings settings, boolean resume, Store store, Executor executor,
                             StudyListener listener) {
        settings = StudySettings.forOpening(settings, resume, store.study(settings.name()).isPresent());
        var s = settings;
        // before anything of the study is read for writing: a second writer would rerun the first's runs
        boolean existed = java.nio.file.Files.isDirectory(s.dir());
        dev.flywheel.lab.Pause.at("study-checked"); // a test lets another process create the same study here
        var lock = StudyLock.acquire(s.dir(), s.name());
        try {
            // checked again under the lock: another process may have created this new study since the check above
            if (!resume) StudySettings.forOpening(s, false, store.study(s.name()).isPresent());
            // a bad corpus is refused before the new study is written, so the same name can be used again
            var data = new DataCache(s.cacheRoot()).prepare(s.start().data().source(), RecipeRunner.prepSettings(s.start().data()),
                    listener.dataProgress());
            if (!resume) s.write();
            var record = store.createStudy(new NewStudy(s.name(), s.brief().objective(), s.metric(), s.researcher(),
                    s.brief().text(), String.join("\n", s.space().describe()), s.budget().format(), s.runBudget().format()));
            var study = new Study(s, store, executor, listener, record.spentSeconds(), false);
            study.lock = lock;
            listener.phase("data: " + data.data().directory() + " (" + data.data().tokenizer().describe() + ")");
            if (record.finished()) study.conclusion = Conclusions.of(study.context(), record.summary());
            else study.journal.reconcile(study.now());
            return study;
        } catch (RuntimeException | Error e) {
            // removed while still locked, so that no other process can be holding a lock on the file that goes
            if (!existed && !StudySettings.exists(s.dir())) StudyLock.removeEmpty(s.dir()); // leave no trace of it
            lock.close();
            throw e;
        }
    }

    public StudySettings settings() {
        return settings;
    }

    public String name() {
        return settings.name();
    }

    public Path directory() {
        return settings.dir();
    }

    public synchronized boolean finished() {
        return conclusion != null;
    }

    /** The study's record as it stands: runs, decisions, notes. Immutable. */
    public StudyHistory record() {
        return ledger.history();
    }

    private StudyHistory now() {
        return ledger.history();
    }

    // ---- the baseline --------------------------------------------------------------------------------------------

    /**
     * Runs the starting recipe under {@code noise_seeds} seeds (once; a resumed study only completes what is
     * missing). Their mean is the first best and their spread the noise floor.
     *
     * @throws LabException when every baseline run failed: the starting recipe itself must be fixed
     */
    public synchronized void runBaseline() {
        requireOpen();
        experiments.baseline();
    }

    // ---- experiments ---------------------------------------------------------------------------------------------

    /** Whether {@code change} is valid against the current best recipe, and the recipe it makes; never throws. */
    public synchronized ChangeResult validate(Change change) {
        return settings.space().apply(Standing.of(now()).bestRecipe(), change);
    }

    /**
     * Runs a change of the current best recipe and decides on it: validates it against the search space, runs it
     * under its first seeds, adds seeds while the study's procedure finds the call unclear, decides, journals it and
     * returns the result. Crashes, divergence and early stops are results, not exceptions.
     *
     * @param proposer   who proposes: builtin, random or a model id (the journal says so)
     * @param hypothesis why, in the proposer's words
     * @param seeds      seeds to start with (1 to 5; the paired procedure starts with at least its minimum)
     * @throws LabException when the change is invalid (the message says what to fix), the budget is spent, or the
     *                      study is finished
     */
    public synchronized ExperimentResult runExperiment(String proposer, String hypothesis, Change change, int seeds) {
        requireOpen();
        requireBaseline();
        settlePending();
        var st = Standing.of(now());
        var accepted = switch (settings.space().apply(st.bestRecipe(), change)) {
            case ChangeResult.Rejected r -> throw new LabException("the change was rejected: " + String.join("; ", r.reasons()));
            case ChangeResult.Accepted a -> a;
        };
        if (seeds < 1 || seeds > 5) throw new LabException("seeds must be between 1 and 5 (got " + seeds + ")");
        int n = experiments.initialSeeds(seeds);
        if (!canAfford(experiments.reserve(n, accepted.recipe(), accepted.change()), false))
            throw new LabException("the study budget is spent (" + budget.describe(now(), spent())
                    + "); no further experiment fits, so finish the study");
        if (!experiments.canStillKeep())
            throw new LabException("the study's error budget is spent: no further change could be kept without risking "
                    + "a false win, so finish the study");
        var trial = experiments.start(accepted.recipe(), accepted.change(), proposer, hypothesis, n);
        experiments.settle(trial);
        return result(trial);
    }

    /** Completes every experiment that has unfinished or undecided runs (after a resume), in order. */
    public synchronized void settlePending() {
        experiments.settlePending();
    }

    private ExperimentResult result(String trial) {
        return ExperimentResult.of(now(), trial, views.diagnostics(now().trial(trial).getFirst()),
                id -> JournalWriter.eventLines(ledger.store(), id));
    }

    private EarlyStop earlyStop(RunRecord run) {
        return settings.earlyStop() ? Pruner.DEFAULT.plan(run, now(), views::curve) : EarlyStop.NONE;
    }

    /** A run in depth: curve, evaluations, events, diagnostics; for an agent's run_details tool. */
    public synchronized RunDetails runDetails(String runId) {
        return views.details(now(), runId);
    }

    /** Adds a note to the journal, by {@code author} (a researcher id, or "person"). */
    public synchronized void note(String author, String text) {
        requireWritable();
        if (text == null || text.isBlank()) throw new LabException("a note needs some text");
        journal.note(ledger.note(author, text.strip()));
        listener.noted(author, text.strip());
        saveSpent();
    }

    // ---- what researchers read -----------------------------------------------------------------------------------

    public synchronized StudyState state() {
        var h = now();
        return StudyState.of(settings, h, Standing.of(h), budget.state(h, spent(), !canRunExperiment()),
                conclusion != null);
    }

    /** Every run with its recipe, decision and diagnostics, oldest first: what a researcher learns from. */
    public synchronized List<RunView> history() {
        return views.history(now());
    }

    /** The current best recipe. */
    public synchronized Recipe bestRecipe() {
        return Standing.of(now()).bestRecipe();
    }

    /** Whether another experiment fits in the budget (its first seeds, a re-measure if kept, the scale check's reserve). */
    public synchronized boolean canRunExperiment() {
        return conclusion == null && canAfford(experiments.reserve(experiments.initialSeeds(1)), false)
                && experiments.canStillKeep();
    }

    // ---- the end ---------------------------------------------------------------------------------------------------

    /**
     * Ends the study: settles any unfinished experiment, runs the scale check, evaluates the best run's model on the
     * held-out test split once, writes the best recipe and the journal's summary, and marks the study finished.
     * Calling it again returns the same conclusion.
     *
     * @param summary the researcher's own summary for the journal, or null
     */
    public synchronized Conclusion finish(String summary) {
        if (conclusion != null) return conclusion;
        requireWritable();
        requireBaseline();
        var kept = Conclusions.begin(context(), summary); // from here on no experiment starts
        settlePending();
        conclusion = Conclusions.finish(context(), kept);
        return conclusion;
    }

    /**
     * The starting recipe against the best, and the best without each kept change, on {@code seeds} fresh paired
     * seeds (see {@link Replication}); while the study runs, within its budget. Finished runs are reused.
     */
    public synchronized ReplicationReport replicate(int seeds) {
        requireWritable();
        requireBaseline();
        if (conclusion == null) settlePending();
        return Replication.run(context(), seeds, conclusion == null);
    }

    /**
     * Trains a scaling ladder and predicts its target before training it ({@link Ladder}): runs of role ladder, found
     * again by recipe, so a killed ladder resumes. Needs no baseline: a ladder study is its own kind of study.
     */
    public synchronized LadderReport ladder(LadderPlan plan, dev.flywheel.lab.scaling.LawFit.Settings fit) {
        requireWritable();
        return Ladder.run(context(), plan, fit);
    }

    public synchronized Conclusion conclusion() {
        return conclusion;
    }

    /** What the conclusion needs of the study, in one value. */
    Conclusions.Context context() {
        return new Conclusions.Context(settings, ledger, journal, scheduler, listener, budget, clock, this::note);
    }

    // ---- budget ----------------------------------------------------------------------------------------------------

    /** Study time spent: earlier sessions' plus this one's. */
    public double spent() {
        return clock.spent();
    }

    private void saveSpent() {
        if (!clock.readOnly()) ledger.store().setSpentSeconds(name(), spent());
    }

    private boolean canAfford(int runs, boolean forConclusion) {
        return budget.canAfford(now(), spent(), runs, forConclusion, Conclusions.concluding(settings.dir(), now()));
    }

    private StudyListener.Standing listenerStanding() {
        return budget.listenerStanding(now(), spent());
    }

    private void requireOpen() {
        requireWritable();
        if (conclusion != null) throw new LabException("study " + name() + " is finished; start a new study to go on");
    }

    private void requireWritable() {
        if (journal == null) throw new LabException("study " + name() + " is open for reading only");
    }

    private void requireBaseline() {
        if (!now().allDecided(now().runsOf(Role.BASELINE)))
            throw new LabException("study " + name() + " has no baseline yet; run the baseline first");
    }

    /** Saves the time spent and releases the study to the next process that opens it; a second close does nothing. */
    @Override
    public synchronized void close() {
        if (lock == null) return;
        try {
            saveSpent();
        } finally {
            lock.close();
            lock = null;
        }
    }
}
