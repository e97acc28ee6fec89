package dev.flywheel.lab.study;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.exec.Files2;
import dev.flywheel.lab.exec.RunJob;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a researcher reads about runs beyond the history's records: learning curves and diagnostics from the store's
 * metric points (cached once a run has ended), and a run in depth for the {@code run_details} tool.
 */
final class RunViews {

    private final StudySettings settings;
    private final Store store;
    private final Map<String, Curve> curves = new ConcurrentHashMap<>();
    private final Map<String, Diagnostics> diagnostics = new ConcurrentHashMap<>();

    RunViews(StudySettings settings, Store store) {
        this.settings = settings;
        this.store = store;
    }

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

    /** Every run with its recipe, decision and diagnostics, oldest first. */
    List<RunView> history(StudyHistory h) {
        return h.runs().stream().map(r -> new RunView(r, r.recipe(), h.decision(r.id()),
                r.status().isFinal() ? diagnostics(r) : Diagnostics.NONE)).toList();
    }

    RunDetails details(StudyHistory h, String runId) {
        var run = h.run(runId).orElseThrow(() -> new LabException("run " + runId + " is not a run of study "
                + settings.name() + "; the study's runs are listed in its state"));
        var evals = new ArrayList<double[]>();
        var valLoss = store.metrics(runId, "val_loss");
        var valMetric = store.metrics(runId, settings.metric() == Metric.VAL_LOSS ? "val_loss" : "val_bpb");
        for (int i = 0; i < valLoss.size() && i < valMetric.size(); i++)
            evals.add(new double[]{valLoss.get(i).step(), valLoss.get(i).value(), valMetric.get(i).value()});
        var log = settings.dir().resolve("runs").resolve(runId).resolve(RunJob.LOG_FILE);
        return new RunDetails(JournalWriter.row(h, run), run.recipe(), h.diffFromParent(run),
                Recipe.diff(h.start(), run.recipe()), curve(run).downsample(64), evals, JournalWriter.eventLines(store, runId),
                diagnostics(run), run.error(), run.checkpointPath(), run.status().evaluated() ? null : logTail(log));
    }

    /** The end of a run's log, or null without one. */
    private static String logTail(Path log) {
        var tail = Files2.tail(log, 20);
        return tail.isEmpty() ? null : tail;
    }
}
