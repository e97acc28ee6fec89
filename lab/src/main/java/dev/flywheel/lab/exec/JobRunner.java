package dev.flywheel.lab.exec;

import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Store;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;

/** What both executors do in the process that trains: run the job, record as it goes, leave result.json. */
final class JobRunner {

    private JobRunner() {
    }

    /**
     * Runs the job with the store recorder, the early-stopping rule and {@code outer} listening, and writes
     * result.json. Never throws for a failed run.
     */
    static RunResult run(RunJob job, Store store, RunListener outer) {
        return run(job, store, outer, 0);
    }

    /** As {@link #run(RunJob, Store, RunListener)}, first warming the JIT up for at most {@code warmupSeconds}. */
    static RunResult run(RunJob job, Store store, RunListener outer, double warmupSeconds) {
        long t0 = System.nanoTime();
        RunResult result;
        StoreRecorder recorder = store == null ? null : new StoreRecorder(store, job.runId(), 1.0);
        try {
            Files.createDirectories(job.runDir());
            if (warmupSeconds > 0) {
                var vocab = RecipeRunner.prepare(job.spec(), dev.flywheel.data.Progress.none()).tokenizer().vocabSize();
                System.err.println("flywheel: " + JitWarmup.run(job.recipe(), vocab, job.threads(), warmupSeconds).describe());
            }
            var listener = new Listening(job.earlyStop().tracker(), recorder, outer);
            result = withStopReason(RecipeRunner.run(job.spec(), listener), listener.stop);
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError && !(t instanceof OutOfMemoryError)) throw (VirtualMachineError) t;
            result = crashed(job.runId(), describe(t), (System.nanoTime() - t0) / 1e9, List.of());
        } finally {
            if (recorder != null) recorder.flush();
        }
        ResultFile.write(job.resultFile(), result);
        return result;
    }

    /** The store recorder, the early-stopping rule and the caller's listener, in that order. */
    private static final class Listening implements RunListener {
        private final EarlyStop.Tracker tracker;
        private final StoreRecorder recorder;
        private final RunListener outer;
        private Optional<String> stop = Optional.empty();

        Listening(EarlyStop.Tracker tracker, StoreRecorder recorder, RunListener outer) {
            this.tracker = tracker;
            this.recorder = recorder;
            this.outer = outer;
        }

        @Override
        public void onStart(RunInfo info) {
            outer.onStart(info);
        }

        @Override
        public void onStep(Trainer.StepStats stats) {
            if (recorder != null) recorder.onStep(stats);
            outer.onStep(stats);
            if (stop.isEmpty()) stop = tracker.offer(stats.progress(), stats.loss());
        }

        @Override
        public void onEval(Trainer.EvalResult eval) {
            if (recorder != null) recorder.onEval(eval);
            outer.onEval(eval);
        }

        @Override
        public void onEvent(RunEvent event) {
            if (stop.isPresent() && event.kind() == EventKind.EARLY_STOP)
                event = new RunEvent(event.step(), event.kind(), event.rule(), event.measured(), event.action(),
                        "stopped early: " + stop.get());
            if (recorder != null) recorder.onEvent(event);
            outer.onEvent(event);
        }

        @Override
        public void onCheckpoint(long steps) {
            if (recorder != null) recorder.flush();
            outer.onCheckpoint(steps);
        }

        @Override
        public boolean stopEarly(Trainer.StepStats stats) {
            return stop.isPresent() || outer.stopEarly(stats);
        }
    }

    /** The result's early-stop event names the rung that was failed (RecipeRunner's message is generic). */
    private static RunResult withStopReason(RunResult r, Optional<String> reason) {
        if (reason.isEmpty() || r.status() != RunStatus.STOPPED) return r;
        var events = r.events().stream().map(e -> e.kind() == EventKind.EARLY_STOP && !e.message().contains(reason.get())
                ? new RunEvent(e.step(), e.kind(), e.rule(), e.measured(), e.action(), "stopped early: " + reason.get())
                : e).toList();
        return new RunResult(r.runId(), r.status(), r.valLoss(), r.valBpb(), r.testBpb(), r.trainLoss(), r.steps(),
                r.tokens(), r.trainSeconds(), r.wallSeconds(), r.params(), r.tokensPerSecond(), r.checkpoint(), r.error(),
                r.curve(), events);
    }

    static RunResult crashed(String runId, String error, double wallSeconds, List<RunEvent> events) {
        return new RunResult(runId, RunStatus.CRASHED, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0,
                wallSeconds, 0, Double.NaN, null, error, List.of(), List.copyOf(events));
    }

    /** One line for the journal: what failed, without a stack trace (that goes to the run's log). */
    static String describe(Throwable t) {
        if (t instanceof OutOfMemoryError)
            return "out of memory: the model or batch is too large for the heap (" + t.getMessage() + ")";
        var message = t.getMessage() == null ? "" : t.getMessage().lines().findFirst().orElse("");
        var kind = t instanceof dev.flywheel.lab.LabException || t instanceof dev.flywheel.data.DataException
                ? "" : t.getClass().getSimpleName() + ": ";
        return (kind + message).strip();
    }

    static void deleteQuietly(java.nio.file.Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a stale file that cannot be deleted is overwritten later
        }
    }
}
