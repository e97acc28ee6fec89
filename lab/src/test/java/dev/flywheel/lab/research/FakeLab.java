package dev.flywheel.lab.research;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.study.Conclusion;
import dev.flywheel.lab.study.Diagnostics;
import dev.flywheel.lab.study.ExperimentResult;
import dev.flywheel.lab.study.Lab;
import dev.flywheel.lab.study.ReplicationReport;
import dev.flywheel.lab.study.RunDetails;
import dev.flywheel.lab.study.RunView;
import dev.flywheel.lab.study.StudyHistory;
import dev.flywheel.lab.study.StudySettings;
import dev.flywheel.lab.study.StudyState;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A study's history written by hand, for the researcher alone: a baseline, then experiments whose verdict the test
 * gives (kept or discarded, and how many σ better they looked), sweep runs as the study would record them. Nothing
 * trains; validation is the search space's, so a proposal the fake accepts is one the real study would.
 */
final class FakeLab implements Lab {

    static final double SIGMA = 0.01;
    /** What a 250k-token run of the default recipe (16 × 128 tokens a step) takes. */
    static final long STEPS = 250_000 / (16 * 128);

    private final StudySettings settings;
    private final List<RunView> runs = new ArrayList<>();
    private String bestId;
    private Recipe best;
    private double bestMetric = 2.0;
    private Diagnostics bestDiagnostics = Diagnostics.NONE;

    FakeLab(String briefText) {
        var brief = Brief.parse(briefText, "test brief");
        var start = brief.startingRecipe();
        settings = new StudySettings("fake", brief, start, "builtin", StudyBudget.parse("10m"), Path.of("fake-study"),
                Path.of("fake-cache"), 1, 1, false, false, 0);
        best = start;
        bestId = add(start, null, null, Role.BASELINE, null, bestMetric, null).run().id();
    }

    /** The default brief, whose runs have a budget of 250k tokens. */
    static FakeLab defaults() {
        return new FakeLab(Brief.defaults().text());
    }

    /** The default brief with another run budget, e.g. "30s". */
    static FakeLab withRunBudget(String runBudget) {
        return new FakeLab(Brief.defaults().text().replace("- run_budget: 250k tokens", "- run_budget: " + runBudget));
    }

    /** The best run's diagnostics from now on (the baseline's, or a later best's). */
    FakeLab diagnostics(Diagnostics d) {
        bestDiagnostics = d;
        var v = runs.stream().filter(r -> r.run().id().equals(bestId)).findFirst().orElseThrow();
        runs.set(runs.indexOf(v), new RunView(v.run(), v.recipe(), v.decision(), d));
        return this;
    }

    /** Records {@code change} of the best as an experiment that looked {@code sigmas} σ better and was kept or not. */
    RunView experiment(Change change, boolean kept, double sigmas) {
        var recipe = ((ChangeResult.Accepted) validate(change)).recipe();
        double metric = bestMetric - sigmas * SIGMA;
        var decision = kept ? Decision.KEEP : Decision.DISCARD;
        var v = add(recipe, bestId, change, Role.EXPERIMENT, decision, metric, "h");
        if (kept) {
            bestId = v.run().id();
            best = recipe;
            bestMetric = metric;
            diagnostics(bestDiagnostics);
        }
        return v;
    }

    /** Records a learning-rate sweep arm: {@code recipe} on the sweep seed, never a candidate for the best. */
    RunView sweep(Recipe recipe, double metric) {
        return add(recipe.with("seed", recipe.seed() + 100), null, null, Role.SWEEP, null, metric, null);
    }

    private RunView add(Recipe recipe, String parent, Change change, Role role, Decision decision, double metric,
                        String hypothesis) {
        String id = "fake-" + (runs.size() + 1);
        var run = new RunRecord(id, "fake", runs.size() + 1, recipe.canonicalJson(), recipe.hash(), parent,
                change == null ? null : change.toJson(), "builtin", hypothesis, RunStatus.FINISHED, 1, metric, null,
                STEPS, 250_000L, 10.0, null, null, null, null, null, role == Role.EXPERIMENT || role == Role.BASELINE
                ? id : null, role, null);
        var d = decision == null ? null : new DecisionRecord("fake", id, decision, metric, bestMetric,
                metric - bestMetric, SIGMA, "paired", null);
        var v = new RunView(run, recipe, d, role == Role.BASELINE ? bestDiagnostics : Diagnostics.NONE);
        runs.add(v);
        return v;
    }

    @Override
    public StudySettings settings() {
        return settings;
    }

    @Override
    public Path directory() {
        return settings.dir();
    }

    @Override
    public StudyState state() {
        return new StudyState("fake", null, null, "val_bpb", "builtin", null, null,
                new StudyState.Best(bestId, bestMetric, best, List.of(), List.of()), null, 2, List.of(), List.of(),
                List.of(), false, null);
    }

    @Override
    public StudyHistory record() {
        throw new UnsupportedOperationException("the researcher reads history(), not the record");
    }

    @Override
    public List<RunView> history() {
        return List.copyOf(runs);
    }

    @Override
    public RunDetails runDetails(String runId) {
        throw new UnsupportedOperationException("not needed by the built-in researcher");
    }

    @Override
    public Recipe bestRecipe() {
        return best;
    }

    @Override
    public boolean canRunExperiment() {
        return true;
    }

    @Override
    public boolean finished() {
        return false;
    }

    @Override
    public ChangeResult validate(Change change) {
        return settings.space().apply(best, change);
    }

    @Override
    public ExperimentResult runExperiment(String proposer, String hypothesis, Change change, int seeds) {
        throw new UnsupportedOperationException("tests record verdicts with experiment(...)");
    }

    @Override
    public ReplicationReport replicate(int seeds) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void note(String author, String text) {
    }

    @Override
    public Conclusion finish(String summary) {
        return null;
    }
}
