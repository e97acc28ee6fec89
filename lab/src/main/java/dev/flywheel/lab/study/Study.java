package dev.flywheel.lab.study;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.Pause;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.EarlyStop;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.exec.ResultFile;
import dev.flywheel.lab.exec.RunJob;
import dev.flywheel.lab.exec.RunWatcher;
import dev.flywheel.lab.journal.Journal;
import dev.flywheel.lab.journal.ProgressChart;
import dev.flywheel.lab.journal.ResultsTsv;
import dev.flywheel.lab.journal.RunEntry;
import dev.flywheel.lab.journal.Summary;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.NewStudy;
import dev.flywheel.lab.store.RunOutcome;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.RunStatus;
import dev.flywheel.lab.store.Store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A research session: the one object both the built-in loop and an LLM agent's tools drive. It owns the rules —
 * the fixed evaluation, the noise floor, the keep/discard decision, the budget — and the record: every run goes to
 * the store as it trains, and every decision to {@code results.tsv}, {@code journal.md} and {@code progress.png}.
 *
 * <pre>{@code
 * var study = Study.open(settings, false, store, new ChildJvmExecutor(), listener);
 * study.runBaseline();                                   // the starting recipe under noise_seeds seeds → σ
 * StudyState s = study.state();                          // objective, budget left, best, σ, space, runs
 * ExperimentResult r = study.runExperiment("builtin", "a higher peak rate should …",
 *         Change.of("optimizer.lr", 0.002), 1);          // validated, run, decided, journaled
 * study.runDetails(r.experiment());                      // curves, events, diagnostics
 * study.note("builtin", "lr is the lever here");
 * Conclusion c = study.finish("summary");                // scale check, test split once, summary, best recipe
 * }</pre>
 *
 * <p>Everything it knows it reads back from the store, so a study killed at any moment (kill -9 included) and
 * opened again with {@code resume} goes on where it stopped: finished runs are never run again, a run that was
 * training restarts from its last checkpoint (or adopts the result its JVM left if it had ended), a decision that
 * was not recorded is made again — the same way, since it depends only on the runs before it — and the journal
 * files skip what they already hold.
 *
 * <p>Roles of runs: {@code baseline} (the starting recipe under several seeds), {@code experiment} (a researcher's
 * change, possibly under several seeds), {@code confirm} (another seed for a close call) and {@code scale} (the
 * scale check at the end). Runs of one experiment share its id (the id of its first run).
 */
public final class Study implements AutoCloseable {

    public static final String BEST_RECIPE = "best-recipe.json", FINISHING = "finishing.json";
    public static final String JOURNAL = "journal.md", RESULTS = "results.tsv", CHART = "progress.png";
    static final String BASELINE = "baseline", EXPERIMENT = "experiment", CONFIRM = "confirm", SCALE = "scale";

    private final StudySettings settings;
    private final Store store;
    private final Executor executor;
    private final StudyListener listener;
    private final Path dir;
    private final DataCache cache;
    private final ResultsTsv tsv;
    private final Journal journal;
    private final long sessionStart = System.nanoTime();
    private final double spentBefore;
    private final Map<String, Curve> curves = new ConcurrentHashMap<>();
    private final Map<String, Diagnostics> diagnostics = new ConcurrentHashMap<>();
    private Conclusion conclusion;

    private final boolean readOnly;

    private Study(StudySettings settings, Store store, Executor executor, StudyListener listener, double spentBefore,
                  boolean readOnly) {
        this.readOnly = readOnly;
        this.settings = settings;
        this.store = store;
        this.executor = executor;
        this.listener = listener;
        this.dir = settings.dir();
        this.cache = new DataCache(settings.cacheRoot());
        this.spentBefore = spentBefore;
        var brief = settings.brief();
        this.tsv = readOnly ? null : ResultsTsv.open(dir.resolve(RESULTS), settings.metric());
        this.journal = readOnly ? null : Journal.open(dir.resolve(JOURNAL), new Journal.Header(settings.name(), brief.title(),
                brief.objective(), settings.metric(), settings.researcher(), settings.budget().format(),
                settings.runBudget().format(), brief.source(), Instant.now()));
    }

    /**
     * The study in {@code dir} for reading only — its state, history and run details — while it may be running in
     * another process: nothing is prepared, run or written.
     */
    public static Study inspect(Path dir, Path cacheRoot, Store store) {
        if (!StudySettings.exists(dir))
            throw new LabException("there is no study in " + dir + "; check the name with `flywheel studies`");
        var settings = StudySettings.read(dir, cacheRoot);
        var record = store.study(settings.name()).orElseThrow(() -> new LabException("study " + settings.name()
                + " is not in the store " + store.url() + "; was it made with another --lab?"));
        var study = new Study(settings, store, null, StudyListener.NONE, record.spentSeconds(), true);
        if (record.finished()) study.conclusion = study.rebuildConclusion();
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
        var name = settings.name();
        var existing = store.study(name);
        if (resume) {
            if (!StudySettings.exists(settings.dir()))
                throw new LabException(existing.isPresent()
                        ? "study " + name + " cannot be resumed: its settings file " + settings.dir().resolve(StudySettings.FILE)
                        + " is missing; start a new study under another name"
                        : "there is no study " + name + " to resume; check the name with `flywheel studies`");
            settings = StudySettings.read(settings.dir(), settings.cacheRoot())
                    .withExecution(settings.cacheRoot(), settings.concurrency(), settings.threads());
        } else {
            if (existing.isPresent() || StudySettings.exists(settings.dir()))
                throw new LabException("study " + name + " already exists; add --resume to continue it, or choose "
                        + "another name with --study");
            settings.write();
        }
        var s = settings;
        var record = store.createStudy(new NewStudy(name, s.brief().objective(), s.metric(), s.researcher(),
                s.brief().text(), String.join("\n", s.space().describe()), s.budget().format(), s.runBudget().format()));
        var data = new DataCache(s.cacheRoot()).prepare(s.start().data().source(), RecipeRunner.prepSettings(s.start().data()),
                listener.dataProgress());
        var study = new Study(s, store, executor, listener, record.spentSeconds(), false);
        study.listener.phase("data: " + data.data().directory() + " (" + data.data().tokenizer().describe() + ")");
        if (record.finished()) study.conclusion = study.rebuildConclusion();
        else study.reconcileJournal();
        return study;
    }

    public StudySettings settings() {
        return settings;
    }

    public String name() {
        return settings.name();
    }

    public Path directory() {
        return dir;
    }

    public Store store() {
        return store;
    }

    public synchronized boolean finished() {
        return conclusion != null;
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
        var runs = runsOf(BASELINE);
        if (runs.isEmpty() || !allDecided(runs)) {
            if (runs.size() < settings.noiseSeeds())
                listener.phase(String.format(Locale.ROOT, "baseline: the starting recipe under %d seeds, to measure the noise floor",
                        settings.noiseSeeds()));
            String experiment = runs.isEmpty() ? null : runs.getFirst().experiment();
            for (int i = runs.size(); i < settings.noiseSeeds(); i++) {
                var recipe = withSeed(settings.start(), i);
                var queued = store.queueRun(new NewRun(null, name(), recipe, null, null, "baseline",
                        i == 0 ? "the starting recipe" : "the starting recipe with seed " + recipe.seed()
                                + ", to measure the noise floor", experiment, BASELINE));
                changed();
                if (experiment == null) experiment = queued.id();
            }
            runs = runsOf(BASELINE);
            executeAll(runs);
            runs = runsOf(BASELINE);
        }
        if (!allDecided(runs)) decideBaseline(runs);
        journalRuns(runs);
        var ok = runs.stream().filter(r -> r.status() == RunStatus.FINISHED && r.metric() != null).toList();
        if (ok.isEmpty())
            throw new LabException("the starting recipe failed in every baseline run (" + runs.getFirst().status().id()
                    + ": " + runs.getFirst().error() + "); fix the recipe or the data and start a new study");
    }

    private void decideBaseline(List<RunRecord> runs) {
        var metrics = runs.stream().filter(r -> r.status() == RunStatus.FINISHED && r.metric() != null)
                .map(RunRecord::metric).toList();
        double mean = metrics.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        var noise = NoiseFloor.estimate(List.of(metrics), Double.isFinite(mean) ? mean : 0);
        for (int i = 0; i < runs.size(); i++) {
            var r = runs.get(i);
            boolean ok = r.status() == RunStatus.FINISHED && r.metric() != null;
            String why = ok
                    ? String.format(Locale.ROOT, "baseline seed %d of %d: with the others it sets the starting best "
                    + "(mean %.4f over %d seeds) and the noise floor (%s)", i + 1, runs.size(), mean, metrics.size(), noise.describe())
                    : "baseline seed " + (i + 1) + " " + r.status().id() + (r.error() == null ? "" : ": " + r.error())
                    + "; the noise floor is measured on the seeds that finished";
            store.recordDecision(new DecisionRecord(name(), r.id(), ok ? Decision.KEEP : Decision.DISCARD, r.metric(),
                    null, null, noise.used(), why, null));
            changed();
        }
    }

    // ---- experiments ---------------------------------------------------------------------------------------------

    /** Whether {@code change} is valid against the current best recipe, and the recipe it makes; never throws. */
    public synchronized ChangeResult validate(Change change) {
        return settings.space().apply(standing(Integer.MAX_VALUE).bestRecipe(), change);
    }

    /**
     * Runs a change of the current best recipe and decides on it: validates it against the search space, runs it
     * under {@code seeds} seeds (and one more for a close call), applies the keep rule, journals it and returns the
     * result. Crashes, divergence and early stops are results, not exceptions.
     *
     * @param proposer   who proposes: builtin, random or a model id (the journal says so)
     * @param hypothesis why, in the proposer's words
     * @param seeds      runs under different seeds to average (1 to 5); the keep rule judges their mean
     * @throws LabException when the change is invalid (the message says what to fix), the budget is spent, or the
     *                      study is finished
     */
    public synchronized ExperimentResult runExperiment(String proposer, String hypothesis, Change change, int seeds) {
        requireOpen();
        requireBaseline();
        settlePending();
        var st = standing(Integer.MAX_VALUE);
        var applied = settings.space().apply(st.bestRecipe(), change);
        if (applied instanceof ChangeResult.Rejected r)
            throw new LabException("the change was rejected: " + String.join("; ", r.reasons()));
        var accepted = (ChangeResult.Accepted) applied;
        if (seeds < 1 || seeds > 5) throw new LabException("seeds must be between 1 and 5 (got " + seeds + ")");
        if (!canAfford(seeds, false))
            throw new LabException("the study budget is spent (" + budgetLine() + "); no further experiment fits, so finish the study");
        String experiment = null;
        for (int i = 0; i < seeds; i++) {
            var queued = store.queueRun(new NewRun(null, name(), withSeed(accepted.recipe(), i), st.bestRun(),
                    accepted.change(), proposer, hypothesis, experiment, EXPERIMENT));
            changed();
            if (experiment == null) experiment = queued.id();
        }
        settle(experiment);
        return result(experiment);
    }

    /** A run in depth: curve, evaluations, events, diagnostics; for an agent's run_details tool. */
    public synchronized RunDetails runDetails(String runId) {
        var run = store.run(runId).filter(r -> name().equals(r.study()))
                .orElseThrow(() -> new LabException("run " + runId + " is not a run of study " + name()
                        + "; the study's runs are listed in its state"));
        var byId = byId(store.runs(name()));
        var decision = decisions().get(runId);
        var parent = run.parent() == null ? null : byId.get(run.parent());
        var events = eventLines(runId);
        var evals = new ArrayList<double[]>();
        var valLoss = store.metrics(runId, "val_loss");
        var valMetric = store.metrics(runId, settings.metric() == Metric.VAL_LOSS ? "val_loss" : "val_bpb");
        for (int i = 0; i < valLoss.size() && i < valMetric.size(); i++)
            evals.add(new double[]{valLoss.get(i).step(), valLoss.get(i).value(), valMetric.get(i).value()});
        var log = dir.resolve("runs").resolve(runId).resolve(RunJob.LOG_FILE);
        return new RunDetails(row(run, decision), run.recipe(),
                parent == null ? Recipe.diff(settings.start(), run.recipe()) : Recipe.diff(withSeed(parent.recipe(), 0), run.recipe()),
                Recipe.diff(settings.start(), run.recipe()), curve(run).downsample(64), evals, events, diagnostics(run),
                run.error(), run.checkpointPath(), run.status() == RunStatus.FINISHED ? null : tail(log, 20));
    }

    /** Adds a note to the journal, by {@code author} (a researcher id, or "person"). */
    public synchronized void note(String author, String text) {
        if (readOnly) throw new LabException("study " + name() + " is open for reading only");
        if (text == null || text.isBlank()) throw new LabException("a note needs some text");
        var n = store.addNote(name(), null, author, text.strip());
        journal.appendNote(n);
        listener.noted(author, text.strip());
        saveSpent();
    }

    // ---- the state -----------------------------------------------------------------------------------------------

    public synchronized StudyState state() {
        var runs = store.runs(name());
        var decisions = decisions();
        var st = standing(runs, decisions, Integer.MAX_VALUE);
        var rows = runs.stream().map(r -> row(r, decisions.get(r.id()))).toList();
        var brief = settings.brief();
        var notes = store.notes(name()).stream().map(n -> n.author() + ": " + n.body()).toList();
        var baselineRuns = runs.stream().filter(r -> BASELINE.equals(r.role())).toList();
        return new StudyState(name(), brief.title(), brief.objective(), settings.metric().id(), settings.researcher(),
                new StudyState.Budget(settings.budget().format(), settings.runBudget().format(), spent(),
                        settings.budget() instanceof StudyBudget.Time t ? Math.max(0, t.duration().toMillis() / 1000.0 - spent()) : null,
                        (int) runs.stream().filter(r -> r.status().isFinal()).count(),
                        settings.budget() instanceof StudyBudget.Runs r ? Math.max(0, r.runs() - runs.size()) : null,
                        !canAfford(1, false), estimatedRunSeconds()),
                new StudyState.Baseline(baselineRuns.stream().map(RunRecord::id).toList(),
                        baselineRuns.stream().map(RunRecord::metric).toList(), st.baselineMetric()),
                new StudyState.Best(st.bestRun(), st.bestMetric(), st.bestRecipe(),
                        Recipe.diff(settings.start(), st.bestRecipe()), st.keptLines()),
                new StudyState.Noise(st.noise().measured(), st.noise().used(), st.noise().dof(), st.noise().describe()),
                settings.keepSigmas(), settings.space().describe(), rows, notes, conclusion != null);
    }

    /** Every run with its recipe, decision and diagnostics, oldest first: what a researcher learns from. */
    public synchronized List<RunView> history() {
        var decisions = decisions();
        return store.runs(name()).stream().map(r -> new RunView(r, r.recipe(), decisions.get(r.id()),
                r.status().isFinal() ? diagnostics(r) : Diagnostics.NONE)).toList();
    }

    /** A run as {@link #history()} gives it. */
    public record RunView(RunRecord run, Recipe recipe, DecisionRecord decision, Diagnostics diagnostics) {
        public boolean kept() {
            return decision != null && decision.decision() == Decision.KEEP;
        }

        public String role() {
            return run.role();
        }

        /** Finished its whole budget with a metric. */
        public boolean complete() {
            return run.status() == RunStatus.FINISHED && run.stoppedAt() == null && run.metric() != null;
        }
    }

    /** The current best recipe. */
    public synchronized Recipe bestRecipe() {
        return standing(Integer.MAX_VALUE).bestRecipe();
    }

    /** Whether another experiment of one run fits in the budget (keeping the scale check's reserve). */
    public synchronized boolean canRunExperiment() {
        return conclusion == null && canAfford(1, false);
    }

    /** Whether the study has begun concluding (its scale check is queued): no further experiments. */
    private boolean concluding() {
        return Files.exists(dir.resolve(FINISHING)) || !runsOf(SCALE).isEmpty();
    }

    // ---- the end ---------------------------------------------------------------------------------------------------

    /**
     * Ends the study: settles any unfinished experiment, runs the scale check (the kept changes at a larger model,
     * against the starting recipe at that size), evaluates the best run's model on the held-out test split once,
     * writes the best recipe and the journal's summary, and marks the study finished. Calling it again returns the
     * same conclusion.
     *
     * @param summary the researcher's own summary for the journal, or null
     */
    public synchronized Conclusion finish(String summary) {
        if (conclusion != null) return conclusion;
        if (readOnly) throw new LabException("study " + name() + " is open for reading only");
        requireBaseline();
        var finishing = dir.resolve(FINISHING);
        if (!Files.exists(finishing)) {
            writeString(finishing, Json.write(java.util.Collections.singletonMap("summary", summary)));
        } else if (summary == null) {
            summary = readFinishingSummary(finishing);
        }
        settlePending();
        listener.phase("concluding: scale check, held-out test, summary");
        String scaleCheck = scaleCheck();
        var runs = store.runs(name());
        var decisions = decisions();
        var st = standing(runs, decisions, Integer.MAX_VALUE);
        var best = store.run(st.bestRun()).orElseThrow();
        Double test = best.testMetric();
        if (test == null && best.checkpointPath() != null) {
            try {
                test = HeldOutTest.evaluate(best.recipe(), Path.of(best.checkpointPath()), cache, settings.threads(),
                        settings.metric());
                if (test != null) store.setTestMetric(best.id(), test);
            } catch (RuntimeException e) {
                note("study", "the held-out test of " + best.id() + " failed: " + e.getMessage());
            }
        }
        var bestFile = dir.resolve(BEST_RECIPE);
        st.bestRecipe().write(bestFile);
        var text = new StringBuilder();
        if (scaleCheck != null) text.append("Scale check: ").append(scaleCheck).append("\n\n");
        if (summary != null && !summary.isBlank())
            text.append("From the researcher (").append(settings.researcher()).append("):\n\n").append(summary.strip());
        journal.appendSummary(new Summary(settings.metric(), (int) runs.stream().filter(r -> r.status().isFinal()).count(),
                st.kept().size(), st.baselineRun(), st.baselineMetric(), st.bestRun(), st.bestMetric(), st.noise().used(),
                st.keptLines(), bestFile, test, text.toString()));
        chart();
        saveSpent();
        store.finishStudy(name(), summaryLine(st, test, scaleCheck) + (summary == null ? "" : "\n\n" + summary.strip()));
        conclusion = rebuildConclusion();
        listener.phase("finished: " + conclusion.journal());
        return conclusion;
    }

    private String readFinishingSummary(Path finishing) {
        try {
            var node = Json.MAPPER.readTree(Files.readString(finishing, StandardCharsets.UTF_8)).get("summary");
            return node == null || node.isNull() ? null : node.asText();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private Conclusion rebuildConclusion() {
        var runs = store.runs(name());
        var st = standing(runs, decisions(), Integer.MAX_VALUE);
        var best = store.run(st.bestRun()).orElse(null);
        var scale = scaleVerdictFromNotes();
        var record = store.study(name()).orElseThrow();
        return new Conclusion(name(), settings.metric().id(), (int) runs.stream().filter(r -> r.status().isFinal()).count(),
                st.kept().size(), st.baselineRun(), st.baselineMetric(), st.bestRun(), st.bestMetric(), st.noise().used(),
                best == null ? null : best.testMetric(), st.keptLines(), scale, dir.resolve(BEST_RECIPE),
                dir.resolve(JOURNAL), dir.resolve(RESULTS), dir.resolve(CHART), record.summary());
    }

    public synchronized Conclusion conclusion() {
        return conclusion;
    }

    private String summaryLine(Standing st, Double test, String scale) {
        var s = String.format(Locale.ROOT, "baseline %s %.4f → best %.4f (%s), %d kept, σ %.4f", settings.metric().id(),
                st.baselineMetric(), st.bestMetric(), st.bestRun(), st.kept().size(), st.noise().used());
        if (test != null) s += String.format(Locale.ROOT, ", test %.4f", test);
        if (scale != null) s += "; scale check: " + scale;
        return s;
    }

    /**
     * The kept changes at a larger model: the starting recipe and the best recipe, each one size up (the next
     * model.dim of the search space, else two more layers), trained under the same run budget. The changes held if
     * the larger best still beats the larger start by more than the bar.
     */
    private String scaleCheck() {
        var scaleRuns = runsOf(SCALE);
        if (scaleRuns.isEmpty()) {
            if (!settings.scaleConfirm()) return null;
            var st = standing(Integer.MAX_VALUE);
            if (st.kept().isEmpty()) return null;
            var bigStart = scaleUp(settings.start());
            var bigBest = scaleUp(st.bestRecipe());
            if (bigStart == null || bigBest == null) {
                note("study", "scale check skipped: the model cannot be made larger within the recipe's rules");
                return null;
            }
            if (!canAfford(2, true)) {
                note("study", "scale check skipped: the study budget has no room left for its two runs");
                return null;
            }
            var first = store.queueRun(new NewRun(null, name(), bigStart, st.baselineRun(),
                    Change.of(scaleChange(settings.start(), bigStart)), "scale-confirm",
                    "Do the kept changes hold at a larger model? The starting recipe, one size up.", null, SCALE));
            changed();
            store.queueRun(new NewRun(null, name(), bigBest, st.bestRun(), Change.of(scaleChange(st.bestRecipe(), bigBest)),
                    "scale-confirm", "Do the kept changes hold at a larger model? The best recipe, one size up.",
                    first.experiment(), SCALE));
            changed();
            scaleRuns = runsOf(SCALE);
            listener.phase("scale check: the starting and the best recipe one size up");
        }
        executeAll(scaleRuns);
        scaleRuns = runsOf(SCALE);
        var decisions = decisions();
        if (allDecided(scaleRuns, decisions)) {
            journalRuns(scaleRuns);
            var verdict = scaleVerdictFromNotes();
            if (verdict == null) { // killed between the decisions and the note
                verdict = decisions.get(scaleRuns.getFirst().id()).rationale().replaceFirst("^scale check, not a candidate: ", "");
                note("scale-confirm", "Scale check: " + verdict);
            }
            return verdict;
        }
        var st = standing(scaleRuns.getFirst().ordinal());
        var a = scaleRuns.get(0);
        var b = scaleRuns.get(1);
        String verdict;
        boolean ok = a.status() == RunStatus.FINISHED && b.status() == RunStatus.FINISHED && a.metric() != null && b.metric() != null;
        if (!ok) {
            verdict = "inconclusive: a scale run " + (a.status() != RunStatus.FINISHED ? a.status().id() : b.status().id());
        } else {
            double gain = a.metric() - b.metric();
            double z = gain / st.noise().used();
            double smallGain = st.baselineMetric() - st.bestMetric();
            var what = String.format(Locale.ROOT, "one size up, the best recipe scores %.4f against the starting recipe's "
                    + "%.4f (%+.4f, %.1fσ; at the study's size the gain was %.4f)", b.metric(), a.metric(), -gain, z, smallGain);
            if (z > settings.keepSigmas()) verdict = "held — " + what;
            else if (gain > 0) verdict = "held only partly — " + what + ", within the noise at the larger size";
            else verdict = "did not hold — " + what;
        }
        for (var r : scaleRuns)
            store.recordDecision(new DecisionRecord(name(), r.id(), Decision.DISCARD, r.metric(), null, null,
                    st.noise().used(), "scale check, not a candidate: " + verdict, null));
        changed();
        journalRuns(scaleRuns);
        note("scale-confirm", "Scale check: " + verdict);
        return verdict;
    }

    private String scaleVerdictFromNotes() {
        var notes = store.notes(name());
        for (int i = notes.size() - 1; i >= 0; i--)
            if (notes.get(i).body().startsWith("Scale check: ")) return notes.get(i).body().substring("Scale check: ".length());
        return null;
    }

    /** One size up: the next larger model.dim the search space allows (that the heads divide), else two more layers. */
    Recipe scaleUp(Recipe r) {
        var m = r.model();
        var dims = new ArrayList<Long>();
        settings.space().dimension("model.dim").ifPresent(d -> {
            if (d instanceof Dimension.Categorical c) c.values().forEach(v -> dims.add(((Number) v).longValue()));
        });
        if (dims.isEmpty()) for (long d : new long[]{64, 96, 128, 192, 256, 384, 512, 768}) dims.add(d);
        dims.sort(null);
        for (long d : dims) {
            if (d <= m.dim() || d % m.heads() != 0) continue;
            if (m.position() == Recipe.Model.Position.ROPE && (d / m.heads()) % 2 != 0) continue;
            try {
                return r.with("model.dim", d);
            } catch (RuntimeException e) {
                // try the next size
            }
        }
        try {
            return r.with("model.layers", m.layers() + 2);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Map<String, Object> scaleChange(Recipe from, Recipe to) {
        var a = from.flatten();
        var out = new LinkedHashMap<String, Object>();
        to.flatten().forEach((k, v) -> {
            if (!Objects.equals(a.get(k), v)) out.put(k, v);
        });
        return out;
    }

    // ---- settling experiments -------------------------------------------------------------------------------------

    /** Completes every experiment that has unfinished or undecided runs (after a resume), in order. */
    public synchronized void settlePending() {
        var runs = store.runs(name());
        var decisions = decisions();
        var pending = new ArrayList<String>();
        for (var r : runs) {
            if ((EXPERIMENT.equals(r.role()) || CONFIRM.equals(r.role())) && !decisions.containsKey(r.id())
                    && !pending.contains(r.experiment()))
                pending.add(r.experiment());
        }
        for (var e : pending) {
            listener.phase("resuming experiment " + e);
            settle(e);
        }
    }

    /** Runs what is unfinished in the experiment, decides (confirming a close call with another seed), journals. */
    private void settle(String experiment) {
        while (true) {
            var runs = experimentRuns(experiment);
            executeAll(runs);
            runs = experimentRuns(experiment);
            var decisions = decisions();
            if (allDecided(runs, decisions)) {
                journalRuns(runs);
                return;
            }
            Pause.at("before-decision");
            var st = standing(runs.getFirst().ordinal());
            var outcomes = runs.stream().map(r -> new KeepRule.Outcome(r.id(), r.status().id(), r.metric(),
                    r.stoppedAt(), r.error())).toList();
            boolean confirmed = runs.stream().anyMatch(r -> CONFIRM.equals(r.role()));
            var verdict = KeepRule.decide(st.bestMetric(), st.noise().used(), settings.keepSigmas(), outcomes,
                    !confirmed && canAfford(1, false));
            if (verdict.kind() == KeepRule.Kind.CONFIRM) {
                var first = runs.getFirst();
                store.queueRun(new NewRun(null, name(), withSeed(first.recipe(), runs.size()), first.parent(),
                        first.change(), first.proposer(), "Confirming a close call with another seed: " + verdict.rationale(),
                        experiment, CONFIRM));
                changed();
                listener.phase("close call: confirming " + experiment + " with another seed");
                continue;
            }
            var decision = verdict.kind() == KeepRule.Kind.KEEP ? Decision.KEEP : Decision.DISCARD;
            for (var r : runs)
                store.recordDecision(new DecisionRecord(name(), r.id(), decision, r.metric(), st.bestMetric(),
                        r.metric() == null ? null : r.metric() - st.bestMetric(), st.noise().used(), verdict.rationale(), null));
            changed();
            journalRuns(runs);
            listener.decided(result(experiment));
            return;
        }
    }

    private ExperimentResult result(String experiment) {
        var runs = experimentRuns(experiment);
        var decisions = decisions();
        var first = runs.getFirst();
        var d = decisions.get(first.id());
        var st = standing(first.ordinal());
        var after = standing(Integer.MAX_VALUE);
        var metrics = runs.stream().map(RunRecord::metric).toList();
        var finished = runs.stream().filter(r -> r.status() == RunStatus.FINISHED && r.stoppedAt() == null && r.metric() != null)
                .map(RunRecord::metric).toList();
        Double mean = finished.size() == runs.size() ? finished.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN) : null;
        var status = runs.stream().filter(r -> r.status() != RunStatus.FINISHED).map(r -> r.status().id()).findFirst()
                .orElse(runs.stream().anyMatch(r -> r.stoppedAt() != null) ? "stopped" : "finished");
        var events = new ArrayList<String>();
        for (var r : runs) for (var e : eventLines(r.id())) events.add(r.id() + " " + e);
        var diff = first.parent() == null ? Recipe.diff(settings.start(), first.recipe())
                : Recipe.diff(withSeed(store.run(first.parent()).orElseThrow().recipe(), 0), first.recipe());
        return new ExperimentResult(experiment, runs.stream().map(RunRecord::id).toList(), first.proposer(),
                first.hypothesis(), first.change() == null ? "" : first.change().describe(), diff, status,
                mean, metrics, st.bestMetric(), mean == null ? null : mean - st.bestMetric(), st.noise().used(),
                mean == null ? null : (st.bestMetric() - mean) / st.noise().used(), d == null ? null : d.decision().id(),
                d == null ? null : d.rationale(), diagnostics(first).summary(), events, after.bestMetric());
    }

    // ---- executing runs --------------------------------------------------------------------------------------------

    private void executeAll(List<RunRecord> runs) {
        var pending = runs.stream().filter(r -> !r.status().isFinal()).toList();
        if (pending.isEmpty()) return;
        int n = Math.min(settings.concurrency(), pending.size());
        if (n == 1) {
            for (var r : pending) execute(r);
            return;
        }
        try (var pool = Executors.newFixedThreadPool(n)) {
            var futures = new ArrayList<Future<?>>();
            for (var r : pending) futures.add(pool.submit(() -> execute(r)));
            for (var f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LabException("the study was interrupted");
                }
            }
        }
    }

    /** Runs one run to its end and records it; adopts the result a run left if it ended while the study was down. */
    private void execute(RunRecord run) {
        var runDir = dir.resolve("runs").resolve(run.id());
        var job = new RunJob(run.id(), run.recipe(), runDir, settings.cacheRoot(), settings.threads(), false, false,
                settings.checkpointEverySeconds(), store.url(), earlyStop(run));
        RunResult result = run.attempts() > 0 ? ResultFile.read(job.resultFile()).orElse(null) : null;
        boolean resumed = false;
        if (result == null) {
            long checkpointStep = run.attempts() > 0 ? checkpointStep(job.spec().checkpointDir()) : -1;
            resumed = checkpointStep > 0;
            if (!resumed) deleteTree(job.spec().checkpointDir());
            store.discardAfter(run.id(), resumed ? checkpointStep - 1 : -1);
            store.startRun(run.id());
            changed();
            var standing = listenerStanding();
            listener.runStarted(new StudyListener.RunStart(run.id(), run.ordinal(), run.role(), run.proposer(),
                    run.hypothesis(), describe(run), resumed, standing));
            result = executor.execute(job.withResume(resumed), new RunWatcher() {
                @Override
                public void stepped(Step step) {
                    listener.runProgress(run.id(), step);
                }

                @Override
                public void event(RunEvent event) {
                    listener.runEvent(run.id(), event);
                }
            });
        }
        record(run, result);
        Pause.at("run-recorded");
        pruneOptimizerState(job.spec().checkpointDir());
        saveSpent();
        var ended = store.run(run.id()).orElseThrow();
        listener.runEnded(run.id(), ended.stoppedAt() != null ? "stopped" : ended.status().id(), ended.metric(),
                result.wallSeconds());
    }

    private void record(RunRecord run, RunResult r) {
        double metric = settings.metric() == Metric.VAL_LOSS ? r.valLoss() : r.valBpb();
        Double stoppedAt = null;
        RunOutcome outcome;
        String ck = r.checkpoint() == null ? null : r.checkpoint().toString();
        switch (r.status()) {
            case FINISHED, STOPPED -> {
                if (!Double.isFinite(metric)) {
                    outcome = RunOutcome.failed(RunStatus.DIVERGED, "the validation metric is not finite ("
                            + metric + ")", r.steps(), r.tokens(), r.trainSeconds());
                    break;
                }
                if (r.status() == dev.flywheel.lab.run.RunStatus.STOPPED) stoppedAt = stoppedAt(r);
                outcome = new RunOutcome(RunStatus.FINISHED, metric, r.steps(), r.tokens(), r.trainSeconds(), ck,
                        stoppedAt == null ? null : stopMessage(r));
            }
            case DIVERGED -> outcome = new RunOutcome(RunStatus.DIVERGED, Double.isFinite(metric) ? metric : null,
                    r.steps(), r.tokens(), r.trainSeconds(), ck, r.error() != null ? r.error()
                    : r.events().stream().filter(e -> e.kind() == EventKind.DIVERGENCE).map(RunEvent::message)
                    .findFirst().orElse("the run diverged"));
            default -> outcome = RunOutcome.failed(r.events().stream().anyMatch(e -> e.kind() == EventKind.KILLED)
                    ? RunStatus.KILLED : RunStatus.CRASHED, r.error() == null ? "the run crashed" : r.error(),
                    r.steps(), r.tokens(), r.trainSeconds());
        }
        // events the run could not record itself (its JVM was killed) go to the store from here
        if (store.events(run.id()).isEmpty())
            for (var e : r.events()) if (e.kind() == EventKind.KILLED) store.recordEvent(run.id(), e);
        store.finishRun(run.id(), outcome, stoppedAt);
        changed();
    }

    private static Double stoppedAt(RunResult r) {
        for (var e : r.events())
            if (e.kind() == EventKind.EARLY_STOP && e.measured().get("progress") instanceof Number n) return n.doubleValue();
        return r.curve().isEmpty() ? 0.0 : r.curve().getLast().progress();
    }

    private static String stopMessage(RunResult r) {
        return r.events().stream().filter(e -> e.kind() == EventKind.EARLY_STOP).map(RunEvent::message).findFirst()
                .orElse("stopped early");
    }

    /** The step of the checkpoint a run can resume from, or -1 if it has none that can be read. */
    private static long checkpointStep(Path ck) {
        for (var d : List.of(ck, ck.resolveSibling(ck.getFileName() + ".old"))) {
            var trainer = d.resolve(Checkpoint.TRAINER);
            if (!Files.isRegularFile(trainer) || !Files.isRegularFile(d.resolve(Checkpoint.OPTIMIZER))) continue;
            try {
                var step = Json.MAPPER.readTree(Files.readString(trainer, StandardCharsets.UTF_8)).get("step");
                if (step != null && step.canConvertToLong()) return step.asLong();
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
        return -1;
    }

    private static void pruneOptimizerState(Path ck) {
        try {
            Files.deleteIfExists(ck.resolve(Checkpoint.OPTIMIZER)); // only a resume needs it, and this run has ended
        } catch (IOException ignored) {
            // a left-over file costs disk space, nothing else
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /**
     * The successive-halving rule for a run: an experiment is compared with the current best's runs at half and
     * three quarters of its budget, and stopped when its training loss is clearly above theirs — by more than three
     * seed-to-seed standard deviations of the baseline's loss there, and at least 3% (2% at three quarters). Only
     * runs with the best's schedule shape are compared: a warmup-stable-decay run is meant to be behind a cosine
     * one until its decay.
     */
    private EarlyStop earlyStop(RunRecord run) {
        if (!settings.earlyStop() || !EXPERIMENT.equals(run.role())) return EarlyStop.NONE;
        var st = standing(run.ordinal());
        var s = run.recipe().schedule();
        var b = st.bestRecipe().schedule();
        if (s.kind() != b.kind() || s.decayFraction() != b.decayFraction()) return EarlyStop.NONE;
        var reference = experimentRuns(st.bestExperiment()).stream()
                .filter(r -> r.status() == RunStatus.FINISHED && r.stoppedAt() == null).toList();
        var baseline = runsOf(BASELINE).stream().filter(r -> r.status() == RunStatus.FINISHED).toList();
        if (reference.isEmpty()) return EarlyStop.NONE;
        var rungs = new ArrayList<EarlyStop.Rung>();
        double[][] plan = {{0.5, 0.03}, {0.75, 0.02}};
        for (var p : plan) {
            var ref = reference.stream().mapToDouble(r -> curve(r).lossAt(p[0], 0.1)).filter(Double::isFinite).average();
            if (ref.isEmpty()) continue;
            var spread = NoiseFloor.std(baseline.stream().map(r -> curve(r).lossAt(p[0], 0.1)).filter(Double::isFinite).toList());
            double margin = Math.max(Double.isFinite(spread) ? 3 * spread : 0, p[1] * ref.getAsDouble());
            rungs.add(new EarlyStop.Rung(p[0], 0.1, ref.getAsDouble() + margin, String.format(Locale.ROOT,
                    "the best run %s (%.4f there, plus a margin of %.4f)", st.bestRun(), ref.getAsDouble(), margin)));
        }
        return new EarlyStop(rungs);
    }

    // ---- standing: best, baseline, noise -------------------------------------------------------------------------

    /** What the study knew before the run with {@code ordinal}: baseline, best, noise floor, kept changes. */
    record Standing(String baselineRun, Double baselineMetric, String bestExperiment, String bestRun, Recipe bestRecipe,
                    Double bestMetric, NoiseFloor.Estimate noise, List<String> kept, List<String> keptLines) {}

    private Standing standing(int beforeOrdinal) {
        if (beforeOrdinal != Integer.MAX_VALUE) return standing(store.runs(name()), decisions(), beforeOrdinal);
        var s = current;
        if (s == null) current = s = standing(store.runs(name()), decisions(), beforeOrdinal);
        return s;
    }

    /** The standing now, kept until this study writes to the store again (researchers ask for it a lot). */
    private volatile Standing current;

    /** Forgets what was read back from the store: called after every write that can change the standing. */
    private void changed() {
        current = null;
    }

    private Standing standing(List<RunRecord> all, Map<String, DecisionRecord> decisions, int beforeOrdinal) {
        var groups = new LinkedHashMap<String, List<RunRecord>>();
        for (var r : all)
            if (r.ordinal() != null && r.ordinal() < beforeOrdinal && r.experiment() != null)
                groups.computeIfAbsent(r.experiment(), k -> new ArrayList<>()).add(r);
        List<Double> baseline = List.of();
        String baselineRun = null, bestExperiment = null, bestRun = null;
        var noiseGroups = new ArrayList<List<Double>>();
        Recipe best = settings.start();
        Double bestMetric = null;
        var kept = new ArrayList<String>();
        var keptLines = new ArrayList<String>();
        for (var g : groups.entrySet()) {
            var runs = g.getValue();
            var first = runs.getFirst();
            var complete = runs.stream().filter(r -> r.status() == RunStatus.FINISHED && r.stoppedAt() == null
                    && r.metric() != null).map(RunRecord::metric).toList();
            if (BASELINE.equals(first.role())) {
                baseline = complete;
                bestExperiment = g.getKey();
                bestMetric = complete.isEmpty() ? null : mean(complete);
                // the seed closest to the mean stands for the baseline: its curve, its checkpoint, its diagnostics
                double m = bestMetric == null ? Double.NaN : bestMetric;
                baselineRun = runs.stream().filter(r -> r.status() == RunStatus.FINISHED && r.metric() != null)
                        .min(java.util.Comparator.comparingDouble(r -> Math.abs(r.metric() - m))).map(RunRecord::id)
                        .orElse(first.id());
                bestRun = baselineRun;
                noiseGroups.add(complete);
                continue;
            }
            if (!EXPERIMENT.equals(first.role())) continue;
            if (complete.size() >= 2 && runs.stream().allMatch(r -> decisions.containsKey(r.id()))) noiseGroups.add(complete);
            var d = decisions.get(first.id());
            if (d != null && d.decision() == Decision.KEEP && !complete.isEmpty()) {
                double before = bestMetric == null ? Double.NaN : bestMetric;
                best = withSeed(first.recipe(), 0);
                bestMetric = mean(complete);
                bestExperiment = g.getKey();
                bestRun = first.id();
                kept.add(g.getKey());
                keptLines.add(String.format(Locale.ROOT, "%s (%s): %s → %.4f (%+.4f)", first.id(), first.proposer(),
                        first.change() == null ? "?" : first.change().describe(), bestMetric, bestMetric - before));
            }
        }
        double baseMean = baseline.isEmpty() ? 0 : mean(baseline);
        var noise = NoiseFloor.estimate(noiseGroups, baseMean);
        return new Standing(baselineRun, baseline.isEmpty() ? null : baseMean, bestExperiment, bestRun, best, bestMetric,
                noise, kept, keptLines);
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** The recipe with the study's base seed plus {@code index} (seed 0 is the starting recipe's own). */
    private Recipe withSeed(Recipe r, int index) {
        long seed = settings.start().seed() + index;
        return r.seed() == seed ? r : r.with("seed", seed);
    }

    // ---- budget ----------------------------------------------------------------------------------------------------

    /** Study time spent: earlier sessions' plus this one's. */
    public double spent() {
        return readOnly ? spentBefore : spentBefore + (System.nanoTime() - sessionStart) / 1e9;
    }

    private void saveSpent() {
        if (!readOnly) store.setSpentSeconds(name(), spent());
    }

    /** How long a run takes here, start-up and evaluation included: the median of the study's runs so far. */
    double estimatedRunSeconds() {
        var walls = store.runs(name()).stream().filter(r -> r.status().isFinal() && r.wallTime() != null
                        && !SCALE.equals(r.role()) && r.stoppedAt() == null)
                .map(r -> r.wallTime().toMillis() / 1000.0).sorted().toList();
        if (!walls.isEmpty()) return walls.get(walls.size() / 2);
        return settings.runBudget() instanceof RunBudget.Seconds s ? s.seconds() * 1.1 + 15 : 120;
    }

    /**
     * Whether {@code runs} more runs fit in the budget. Outside the conclusion, two runs' worth is held back for
     * the scale check once a change has been kept, so the study can always end as planned.
     */
    private boolean canAfford(int runs, boolean forConclusion) {
        if (!forConclusion && concluding()) return false;
        int reserve = !forConclusion && settings.scaleConfirm() && runsOf(SCALE).isEmpty()
                && !standing(Integer.MAX_VALUE).kept().isEmpty() ? 2 : 0;
        return switch (settings.budget()) {
            case StudyBudget.Runs r -> store.runs(name()).size() + runs + reserve <= r.runs();
            case StudyBudget.Time t -> {
                double left = t.duration().toMillis() / 1000.0 - spent();
                int c = settings.concurrency();
                double need = estimatedRunSeconds() * (Math.ceil(runs / (double) c) + Math.ceil(reserve / (double) c));
                yield left >= need;
            }
        };
    }

    private String budgetLine() {
        return switch (settings.budget()) {
            case StudyBudget.Runs r -> store.runs(name()).size() + " of " + r.runs() + " runs used";
            case StudyBudget.Time t -> String.format(Locale.ROOT, "%.0f of %.0f s used, a run takes about %.0f s",
                    spent(), t.duration().toMillis() / 1000.0, estimatedRunSeconds());
        };
    }

    private StudyListener.Standing listenerStanding() {
        var st = standing(Integer.MAX_VALUE);
        Double left = settings.budget() instanceof StudyBudget.Time t ? t.duration().toMillis() / 1000.0 - spent() : null;
        Integer total = settings.budget() instanceof StudyBudget.Runs r ? r.runs() : null;
        int done = (int) store.runs(name()).stream().filter(r -> r.status().isFinal()).count();
        return new StudyListener.Standing(st.bestMetric(), st.bestRun(), st.noise().dof() > 0 ? st.noise().used() : null,
                spent(), left, done, total);
    }

    // ---- the journal ------------------------------------------------------------------------------------------------

    /** After a resume: journal every decided run the files do not have yet, and redraw the chart. */
    private void reconcileJournal() {
        var runs = store.runs(name());
        var decisions = decisions();
        journalRuns(runs.stream().filter(r -> decisions.containsKey(r.id())).toList());
    }

    private void journalRuns(List<RunRecord> runs) {
        var all = store.runs(name());
        var byId = byId(all);
        var decisions = decisions();
        boolean wrote = false;
        for (var r : runs) {
            var d = decisions.get(r.id());
            if (d == null) continue;
            var entry = entry(r, d, byId);
            wrote |= tsv.append(entry);
            wrote |= journal.appendRun(entry);
        }
        if (wrote || !Files.exists(dir.resolve(CHART))) chart();
    }

    private void chart() {
        var all = store.runs(name());
        var byId = byId(all);
        var decisions = decisions();
        var entries = new ArrayList<RunEntry>();
        for (var r : all) {
            var d = decisions.get(r.id());
            if (d != null && !SCALE.equals(r.role())) entries.add(entry(r, d, byId));
        }
        ProgressChart.write(dir.resolve(CHART), name(), settings.metric(), entries);
    }

    private RunEntry entry(RunRecord r, DecisionRecord d, Map<String, RunRecord> byId) {
        var parent = r.parent() == null ? null : byId.get(r.parent());
        // against the parent's recipe under the study's base seed: the seed of the run that stood for the best is
        // not part of the change
        var diff = parent == null ? Recipe.diff(settings.start(), r.recipe())
                : Recipe.diff(withSeed(parent.recipe(), 0), r.recipe());
        var events = eventLines(r.id());
        return new RunEntry(r.ordinal(), r.id(), r.proposer(), r.hypothesis(), diff, describe(r), r.status(), r.metric(),
                d.delta(), d.noiseFloor(), d.decision(), d.rationale(), r.trainSeconds(), r.steps(), events);
    }

    /** One line for results.tsv and progress lines. */
    private String describe(RunRecord r) {
        var seed = "seed " + r.recipe().seed();
        var change = r.change() == null ? "" : r.change().describe();
        var text = switch (r.role() == null ? "" : r.role()) {
            case BASELINE -> "baseline (" + seed + ")";
            case CONFIRM -> change + " (confirmation, " + seed + ")";
            case SCALE -> "scale check: " + change;
            default -> change + (r.recipe().seed() != settings.start().seed() ? " (" + seed + ")" : "");
        };
        if (r.stoppedAt() != null) text += String.format(Locale.ROOT, " (stopped early at %.0f%%)", 100 * r.stoppedAt());
        if (r.status().isFinal() && r.status() != RunStatus.FINISHED && r.error() != null)
            text += " — " + StudyState.oneLine(r.error(), 120);
        return text;
    }

    private List<String> eventLines(String runId) {
        return store.events(runId).stream().map(e -> {
            var ev = e.event();
            return "step " + ev.step() + ": " + ev.kind() + (ev.rule() == null ? "" : " (" + ev.rule() + ")")
                    + (ev.action() == null ? "" : " → " + ev.action())
                    + (ev.message() == null || ev.message().isBlank() ? "" : ": " + ev.message());
        }).toList();
    }

    private StudyState.Row row(RunRecord r, DecisionRecord d) {
        return new StudyState.Row(r.ordinal(), r.id(), r.experiment(), r.role(), r.proposer(), r.hypothesis(),
                r.change() == null ? (BASELINE.equals(r.role()) ? "seed " + r.recipe().seed() : null) : r.change().describe(),
                r.status().id(), r.metric(), d == null ? null : d.delta(), d == null ? null : d.decision().id(),
                d == null ? null : d.rationale(), r.stoppedAt(), r.trainSeconds(), r.steps());
    }

    // ---- curves and diagnostics -------------------------------------------------------------------------------------

    Curve curve(RunRecord r) {
        if (!r.status().isFinal()) return Curve.of(store.metrics(r.id()));
        return curves.computeIfAbsent(r.id(), id -> Curve.of(store.metrics(id)));
    }

    Diagnostics diagnostics(RunRecord r) {
        if (!r.status().isFinal()) return compute(r);
        return diagnostics.computeIfAbsent(r.id(), id -> compute(r));
    }

    private Diagnostics compute(RunRecord r) {
        var val = store.metrics(r.id(), "val_loss");
        double valLoss = val.isEmpty() ? Double.NaN : val.getLast().value();
        var kinds = store.events(r.id()).stream().map(e -> e.event().kind().id()).toList();
        double tps = r.tokens() != null && r.trainSeconds() != null && r.trainSeconds() > 0 ? r.tokens() / r.trainSeconds() : Double.NaN;
        return Diagnostics.of(curve(r), valLoss, kinds, r.status() == RunStatus.DIVERGED, tps);
    }

    // ---- small helpers ----------------------------------------------------------------------------------------------

    private List<RunRecord> runsOf(String role) {
        return store.runs(name()).stream().filter(r -> role.equals(r.role())).toList();
    }

    private List<RunRecord> experimentRuns(String experiment) {
        return store.runs(name()).stream().filter(r -> experiment.equals(r.experiment())).toList();
    }

    private Map<String, DecisionRecord> decisions() {
        var map = new HashMap<String, DecisionRecord>();
        for (var d : store.decisions(name())) map.put(d.run(), d);
        return map;
    }

    private boolean allDecided(List<RunRecord> runs) {
        return allDecided(runs, decisions());
    }

    private static boolean allDecided(List<RunRecord> runs, Map<String, DecisionRecord> decisions) {
        return !runs.isEmpty() && runs.stream().allMatch(r -> decisions.containsKey(r.id()));
    }

    private static Map<String, RunRecord> byId(List<RunRecord> runs) {
        var map = new HashMap<String, RunRecord>();
        for (var r : runs) map.put(r.id(), r);
        return map;
    }

    private void requireOpen() {
        if (readOnly) throw new LabException("study " + name() + " is open for reading only");
        if (conclusion != null) throw new LabException("study " + name() + " is finished; start a new study to go on");
    }

    private void requireBaseline() {
        var base = runsOf(BASELINE);
        if (base.isEmpty() || !allDecided(base))
            throw new LabException("study " + name() + " has no baseline yet; run the baseline first");
    }

    private static void writeString(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LabException(file + " cannot be written (" + e.getMessage() + ")");
        }
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.isRegularFile(file)) return null;
            var all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        saveSpent();
    }
}
