package dev.flywheel.lab.study;

import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.NoteRecord;
import dev.flywheel.lab.store.RunOutcome;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;

import java.util.List;

/**
 * The study's writes: each goes to the store first and is then appended to the in-memory {@link StudyHistory}, so
 * the history always equals what the store holds without reading it back. Runs executing side by side write
 * through it from several threads.
 */
final class Ledger {

    private final Store store;
    private final String study;
    private volatile StudyHistory history;

    Ledger(Store store, String study, StudyHistory history) {
        this.store = store;
        this.study = study;
        this.history = history;
    }

    StudyHistory history() {
        return history;
    }

    Store store() {
        return store;
    }

    synchronized RunRecord queue(NewRun run) {
        return put(store.queueRun(run));
    }

    synchronized RunRecord started(String run) {
        return put(store.startRun(run));
    }

    synchronized RunRecord finished(String run, RunOutcome outcome) {
        return put(store.finishRun(run, outcome));
    }

    synchronized RunRecord testMetric(String run, double value) {
        return put(store.setTestMetric(run, value));
    }

    synchronized void decide(List<DecisionRecord> decisions) {
        for (var d : decisions) {
            store.recordDecision(d);
            history = history.withDecision(d);
        }
    }

    synchronized NoteRecord note(String author, String text) {
        var n = store.addNote(study, null, author, text);
        history = history.withNote(n);
        return n;
    }

    private RunRecord put(RunRecord r) {
        history = history.withRun(r);
        return r;
    }
}
