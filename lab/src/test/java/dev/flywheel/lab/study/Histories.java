package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.time.Instant;

/**
 * Synthetic study histories for the policies' tests: runs and decisions written by hand, no training. A history is
 * built by appending, as a study does.
 *
 * <pre>{@code
 * var h = new Histories().baseline(2.00, 2.02, 1.98).experiment("optimizer.lr", 0.002, Decision.KEEP, 1.90);
 * }</pre>
 */
final class Histories {

    static final Recipe START = Recipe.defaults();
    static final String STUDY = "s";

    private StudyHistory history = StudyHistory.empty(START);
    private int ordinal;
    /** The proposer of scale runs: the one-size check of older studies unless a test sets the current one. */
    String scaleProposer = ScaleCheck.ONE_SIZE;

    StudyHistory get() {
        return history;
    }

    /** The baseline's seeds with these metrics (null: the seed crashed), decided as a study decides them. */
    Histories baseline(Double... metrics) {
        String trial = null;
        var runs = new java.util.ArrayList<RunRecord>();
        for (int i = 0; i < metrics.length; i++) {
            var r = run(history.withSeed(START, i), null, null, Role.BASELINE, trial, metrics[i], null, 60.0);
            if (trial == null) trial = r.id();
            runs.add(r);
        }
        for (var d : DecisionPolicy.baseline(STUDY, runs)) history = history.withDecision(d);
        return this;
    }

    /** An experiment changing {@code path} to {@code value} under one seed per metric, decided {@code decision}. */
    Histories experiment(String path, Object value, Decision decision, Double... metrics) {
        var runs = queue(path, value, Role.EXPERIMENT, metrics);
        var before = Standing.of(history.before(runs.getFirst().ordinal()));
        for (var r : runs)
            history = history.withDecision(new DecisionRecord(STUDY, r.id(), decision, r.metric(), before.bestMetric(),
                    r.metric() == null ? null : r.metric() - before.bestMetric(), before.noise().used(), "by hand", null));
        return this;
    }

    /** An experiment's runs, ended but not decided yet. */
    java.util.List<RunRecord> queue(String path, Object value, Role role, Double... metrics) {
        var st = Standing.of(history);
        var recipe = st.bestRecipe().with(path, value);
        String trial = null;
        var runs = new java.util.ArrayList<RunRecord>();
        for (int i = 0; i < metrics.length; i++) {
            var r = run(history.withSeed(recipe, i), st.bestRun(), Change.of(path, value), role, trial, metrics[i], null, 60.0);
            if (trial == null) trial = r.id();
            runs.add(r);
        }
        return runs;
    }

    /** Appends a run that ended: finished (or stopped early at {@code stoppedAt}) with {@code metric}, or crashed when it is null. */
    RunRecord run(Recipe recipe, String parent, Change change, Role role, String trial, Double metric, Double stoppedAt,
                  Double wallSeconds) {
        ordinal++;
        var id = STUDY + "-" + String.format("%03d", ordinal);
        var start = Instant.ofEpochSecond(1_000_000 + ordinal * 1000L);
        var r = new RunRecord(id, STUDY, ordinal, recipe.canonicalJson(), recipe.hash(), parent,
                change == null ? null : change.toJson(), role == Role.BASELINE ? "baseline"
                : role == Role.SCALE ? scaleProposer : "builtin", "why",
                metric == null ? RunStatus.CRASHED : stoppedAt != null ? RunStatus.STOPPED : RunStatus.FINISHED, 1, metric, null, 100L, 1000L, 10.0,
                start, start, wallSeconds == null ? null : start.plusMillis((long) (wallSeconds * 1000)), null,
                metric == null ? "boom" : null, trial == null ? id : trial, role, stoppedAt);
        history = history.withRun(r);
        return r;
    }

    /** This builder, now holding {@code h} (the same runs with decisions added elsewhere). */
    Histories replace(StudyHistory h) {
        history = h;
        return this;
    }

    Histories with(RunRecord r) {
        history = history.withRun(r);
        return this;
    }
}
