package dev.flywheel.lab.study;

import dev.flywheel.lab.journal.Journal;
import dev.flywheel.lab.journal.ProgressChart;
import dev.flywheel.lab.journal.ResultsTsv;
import dev.flywheel.lab.journal.RunEntry;
import dev.flywheel.lab.journal.Summary;
import dev.flywheel.lab.run.Outcome;
import dev.flywheel.lab.store.NoteRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;

import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders a study's history for people: {@code journal.md} (every decided run, notes, the summary),
 * {@code results.tsv} (a row per decided run) and {@code progress.png} (the chart, redrawn when a row was added).
 * The files are append-only and skip what they already hold, so rendering the same history again after a resume
 * writes nothing twice. Also the one place that words a run in a line ({@link #describe}) or a row ({@link #row}).
 */
final class JournalWriter {

    private final StudySettings settings;
    private final Store store;
    private final ResultsTsv tsv;
    private final Journal journal;

    JournalWriter(StudySettings settings, Store store) {
        this.settings = settings;
        this.store = store;
        var brief = settings.brief();
        var dir = settings.dir();
        this.tsv = ResultsTsv.open(dir.resolve(Study.RESULTS), settings.metric());
        this.journal = Journal.open(dir.resolve(Study.JOURNAL), new Journal.Header(settings.name(), brief.title(),
                brief.objective(), settings.metric(), settings.researcher(), settings.budget().format(),
                settings.runBudget().format(), brief.source(), Instant.now()));
    }

    /** Journals every decided run of {@code runs} the files do not have yet, and redraws the chart if any was new. */
    void runs(StudyHistory h, List<RunRecord> runs) {
        boolean wrote = false;
        for (var r : runs) {
            if (!h.decided(r)) continue;
            var entry = entry(h, r);
            wrote |= tsv.append(entry);
            wrote |= journal.appendRun(entry);
        }
        if (wrote || !Files.exists(settings.dir().resolve(Study.CHART))) chart(h);
    }

    /** After a resume: whatever the history has that the files do not (decided runs, notes). */
    void reconcile(StudyHistory h) {
        runs(h, h.runs());
    }

    void note(NoteRecord n) {
        journal.appendNote(n);
    }

    void summary(Summary s, StudyHistory h) {
        journal.appendSummary(s);
        chart(h);
    }

    /** The replication's table, once per best recipe and seeds. */
    void replication(ReplicationReport r, String bestHash) {
        var seeds = r.seeds().stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElse("");
        journal.appendReplication(bestHash + " seeds " + seeds, r.table());
    }

    private void chart(StudyHistory h) {
        var entries = new ArrayList<RunEntry>();
        for (var r : h.runs())
            if (h.decided(r) && r.role() != Role.SCALE && r.role() != Role.REMEASURE) entries.add(entry(h, r));
        ProgressChart.write(settings.dir().resolve(Study.CHART), settings.name(), settings.metric(), entries);
    }

    RunEntry entry(StudyHistory h, RunRecord r) {
        var d = h.decision(r.id());
        return new RunEntry(r.ordinal(), r.id(), r.proposer(), r.hypothesis(), h.diffFromParent(r), describe(h, r),
                r.status(), r.metric(), d.delta(), d.noiseFloor(), d.decision(), d.rationale(), r.trainSeconds(),
                r.steps(), eventLines(store, r.id()));
    }

    /** One line for results.tsv and progress lines. */
    static String describe(StudyHistory h, RunRecord r) {
        var seed = "seed " + r.recipe().seed();
        var change = r.change() == null ? "" : r.change().describe();
        var text = r.role() == null ? change + (r.recipe().seed() != h.start().seed() ? " (" + seed + ")" : "")
                : switch (r.role()) {
            case BASELINE -> "baseline (" + seed + ")";
            case CONFIRM -> change + " (confirmation, " + seed + ")";
            case REMEASURE -> "the best recipe on a fresh seed (" + seed + ")";
            case SCALE -> "scale check: " + change;
            case REPLICATION -> "replication: " + (change.isEmpty() ? "" : "without " + change + " ") + "(" + seed + ")";
            case EXPERIMENT -> change + (r.recipe().seed() != h.start().seed() ? " (" + seed + ")" : "");
            case SWEEP -> "learning-rate sweep: " + (change.isEmpty() ? "the best recipe" : change) + " (" + seed + ")";
            case REFERENCE -> "the best recipe at its own swept rate: " + change + " (" + seed + ")";
            case LADDER -> String.format(Locale.ROOT, "scaling ladder: %d layers, width %d, %,d tokens, lr %.3g (%s)",
                    r.recipe().model().layers(), r.recipe().model().dim(), (long) r.recipe().budget().amount(),
                    r.recipe().optimizer().lr(), seed);
        };
        return text + switch (r.outcome()) {
            case null -> "";
            case Outcome.Finished f -> "";
            case Outcome.StoppedEarly s -> String.format(Locale.ROOT, " (stopped early at %.0f%%)", 100 * s.progress());
            case Outcome failed -> failed.reason() == null ? "" : " — " + StudyState.oneLine(failed.reason(), 120);
        };
    }

    /** The run's guard and executor events, one line each. */
    static List<String> eventLines(Store store, String runId) {
        return store.events(runId).stream().map(e -> {
            var ev = e.event();
            return "step " + ev.step() + ": " + ev.kind() + (ev.rule() == null ? "" : " (" + ev.rule() + ")")
                    + (ev.action() == null ? "" : " → " + ev.action())
                    + (ev.message() == null || ev.message().isBlank() ? "" : ": " + ev.message());
        }).toList();
    }

    /** The run as a row of the study's state. */
    static StudyState.Row row(StudyHistory h, RunRecord r) {
        var d = h.decision(r.id());
        var role = r.role();
        return new StudyState.Row(r.ordinal(), r.id(), r.experiment(), role == null ? null : role.id(), r.proposer(),
                r.hypothesis(), r.change() == null ? (role == Role.BASELINE ? "seed " + r.recipe().seed() : null)
                : r.change().describe(), r.status().id(), r.metric(), d == null ? null : d.delta(),
                d == null ? null : d.decision().id(), d == null ? null : d.rationale(), r.stoppedAt(), r.trainSeconds(),
                r.steps());
    }
}
