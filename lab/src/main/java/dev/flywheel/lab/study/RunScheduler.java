package dev.flywheel.lab.study;

import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.Pause;
import dev.flywheel.lab.exec.EarlyStop;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.exec.ResultFile;
import dev.flywheel.lab.exec.RunJob;
import dev.flywheel.lab.exec.RunWatcher;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.Outcome;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunOutcome;
import dev.flywheel.lab.store.RunRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Executes a study's queued runs and records how each ended. Up to {@code concurrency} runs at once. A run that was
 * interrupted (the study was killed) resumes from its last checkpoint, or adopts the result its JVM left if it had
 * ended; a run that ended is never run again.
 */
final class RunScheduler {

    private final StudySettings settings;
    private final Ledger ledger;
    private final Executor executor;
    private final StudyListener listener;
    private final Function<RunRecord, EarlyStop> earlyStop;
    private final Supplier<StudyListener.Standing> standing;
    private final Runnable saveSpent;

    /**
     * @param earlyStop the successive-halving rungs for a run
     * @param standing  where the study stands, for the listener's progress line
     * @param saveSpent records the study time spent, after each run
     */
    RunScheduler(StudySettings settings, Ledger ledger, Executor executor, StudyListener listener,
                 Function<RunRecord, EarlyStop> earlyStop, Supplier<StudyListener.Standing> standing, Runnable saveSpent) {
        this.settings = settings;
        this.ledger = ledger;
        this.executor = executor;
        this.listener = listener;
        this.earlyStop = earlyStop;
        this.standing = standing;
        this.saveSpent = saveSpent;
    }

    /** Runs every run of {@code runs} that has not ended, up to {@code concurrency} at once. */
    void executeAll(List<RunRecord> runs) {
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

    private void execute(RunRecord run) {
        var runDir = settings.dir().resolve("runs").resolve(run.id());
        // a replication's runs score the held-out test split themselves, from the model they end with
        boolean evalTest = run.role() == Role.REPLICATION;
        var job = new RunJob(run.id(), run.recipe(), runDir, settings.cacheRoot(), settings.threads(), false, evalTest,
                settings.checkpointEverySeconds(), ledger.store().url(), earlyStop.apply(run));
        RunResult result = run.attempts() > 0 ? ResultFile.read(job.resultFile()).orElse(null) : null;
        if (result == null) {
            long checkpointStep = run.attempts() > 0 ? Checkpoint.resumableStep(job.spec().checkpointDir()).orElse(-1) : -1;
            boolean resumed = checkpointStep > 0;
            if (!resumed) deleteTree(job.spec().checkpointDir());
            ledger.store().discardAfter(run.id(), resumed ? checkpointStep - 1 : -1);
            var started = ledger.started(run.id());
            listener.runStarted(new StudyListener.RunStart(run.id(), run.ordinal(), run.role() == null ? null : run.role().id(),
                    run.proposer(), run.hypothesis(), JournalWriter.describe(ledger.history(), started), resumed,
                    standing.get()));
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
        var ended = record(run, result);
        Pause.at("run-recorded");
        pruneOptimizerState(job.spec().checkpointDir());
        saveSpent.run();
        listener.runEnded(run.id(), ended.status().id(), ended.metric(), result.wallSeconds());
    }

    private RunRecord record(RunRecord run, RunResult r) {
        // events the run could not record itself (its JVM was killed) go to the store from here
        var store = ledger.store();
        if (store.events(run.id()).isEmpty())
            for (var e : r.events()) if (e.kind() == EventKind.KILLED) store.recordEvent(run.id(), e);
        var ended = ledger.finished(run.id(), outcome(r, settings.metric()));
        // in bits per byte whatever the study's metric: the test split is scored only that way at a run's end
        if (run.role() == Role.REPLICATION && Double.isFinite(r.testBpb())) ended = ledger.testMetric(run.id(), r.testBpb());
        return ended;
    }

    /**
     * How a run's result is recorded: how it ended and what it measured. A run that finished (or was stopped early)
     * with a metric that is not finite diverged; a run whose process was killed was killed, not crashed.
     */
    static RunOutcome outcome(RunResult r, Metric metric) {
        double value = metric == Metric.VAL_LOSS ? r.valLoss() : r.valBpb();
        String ck = r.checkpoint() == null ? null : r.checkpoint().toString();
        return switch (r.status()) {
            case FINISHED, STOPPED -> Double.isFinite(value)
                    ? new RunOutcome(r.status() == RunStatus.STOPPED ? new Outcome.StoppedEarly(stoppedAt(r), stopMessage(r))
                    : Outcome.FINISHED, value, r.steps(), r.tokens(), r.trainSeconds(), ck)
                    : RunOutcome.failed(new Outcome.Diverged("the validation metric is not finite (" + value + ")"),
                    r.steps(), r.tokens(), r.trainSeconds());
            case DIVERGED -> new RunOutcome(new Outcome.Diverged(r.error() != null ? r.error()
                    : r.events().stream().filter(e -> e.kind() == EventKind.DIVERGENCE).map(RunEvent::message)
                    .findFirst().orElse("the run diverged")), Double.isFinite(value) ? value : null,
                    r.steps(), r.tokens(), r.trainSeconds(), ck);
            case QUEUED, RUNNING, CRASHED, KILLED -> {
                String why = r.error() == null ? "the run crashed" : r.error();
                yield RunOutcome.failed(r.status() == RunStatus.KILLED || r.events().stream().anyMatch(e -> e.kind() == EventKind.KILLED)
                        ? new Outcome.Killed(why) : new Outcome.Crashed(why), r.steps(), r.tokens(), r.trainSeconds());
            }
        };
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

    private static void deleteTree(Path p) {
        try {
            AtomicFiles.deleteTree(p);
        } catch (IOException e) {
            throw new LabException("the unusable checkpoint " + p + " cannot be deleted (" + e.getMessage()
                    + "); delete it by hand and resume the study");
        }
    }

    private static void pruneOptimizerState(Path ck) {
        try {
            Files.deleteIfExists(ck.resolve(Checkpoint.OPTIMIZER)); // only a resume needs it, and this run has ended
        } catch (IOException ignored) {
            // a left-over file costs disk space, nothing else
        }
    }
}
