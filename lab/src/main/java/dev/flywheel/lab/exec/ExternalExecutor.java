package dev.flywheel.lab.exec;

import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs recipes with a {@code trainer.command} as processes of their own (docs/trainer-protocol.md) and hands every
 * other recipe to the engine's executor. The lab prepares the recipe's data as for the engine, starts the command in
 * the run's directory, reads {@code metrics.jsonl} as it grows ({@link TrainerWatch}: store, live progress, guard,
 * pruner), and at the end reads {@code summary.json}. A pruned or diverging run gets a {@code STOP} file and SIGTERM,
 * then SIGKILL after the grace period; a run still alive at the hard limit of its budget (the child JVM's limits) is
 * killed. A non-zero exit, a missing summary or a non-finite metric is a crash whose reason ends with the log's tail.
 */
public final class ExternalExecutor implements Executor {

    private final Executor engine;
    private final Store store;
    private final ChildJvmExecutor.Settings limits;
    private final double termGraceSeconds;

    /**
     * @param engine           runs the recipes without a trainer command
     * @param store            where runs record metric points and events (their job's storeUrl decides whether), or null
     * @param limits           the hard limits, as for a child JVM
     * @param termGraceSeconds how long a trainer has between SIGTERM and SIGKILL to save its checkpoint
     */
    public ExternalExecutor(Executor engine, Store store, ChildJvmExecutor.Settings limits, double termGraceSeconds) {
        this.engine = engine;
        this.store = store;
        this.limits = limits;
        this.termGraceSeconds = termGraceSeconds;
    }

    public ExternalExecutor(Executor engine, Store store) {
        this(engine, store, ChildJvmExecutor.Settings.defaults(), 60);
    }

    @Override
    public RunResult execute(RunJob job, RunWatcher watcher) {
        if (job.recipe().trainer().engine()) return engine.execute(job, watcher);
        long t0 = System.nanoTime();
        var recorder = job.storeUrl() == null || store == null ? null : new StoreRecorder(store, job.runId(), 1.0);
        RunResult result;
        try {
            result = run(job, watcher, recorder, t0);
        } catch (RuntimeException e) {
            result = JobRunner.crashed(job.runId(), JobRunner.describe(e), seconds(t0), List.of());
        } finally {
            if (recorder != null) recorder.flush();
        }
        ResultFile.write(job.resultFile(), result);
        return result;
    }

    private RunResult run(RunJob job, RunWatcher watcher, StoreRecorder recorder, long t0) {
        var dir = job.runDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new dev.flywheel.lab.LabException("run directory " + dir + " cannot be created (" + e.getMessage() + ")");
        }
        JobRunner.deleteQuietly(job.resultFile());
        job.write();
        // an earlier attempt left its metrics: the trainer is asked to continue from whatever it saved
        boolean resume = job.resume() || Files.exists(dir.resolve(TrainerLaunch.METRICS));
        for (var stale : List.of(TrainerLaunch.SUMMARY, TrainerLaunch.STOP)) JobRunner.deleteQuietly(dir.resolve(stale));
        var data = RecipeRunner.prepare(job.spec(), Progress.none());
        RunListener outer = InProcessExecutor.listen(watcher);
        RunListener listener = recorder == null ? outer : both(recorder, outer);
        var recipe = job.recipe();
        listener.onStart(new RunListener.RunInfo(job.runId(), recipe.estimatedParameters(), data.tokenizer().vocabSize(),
                data.tokenizer().describe(), data.tokens(Split.TRAIN), data.tokens(Split.VAL), (int) recipe.tokensPerStep(),
                recipe.runBudget().format(), data.directory().toString()));
        var watch = new TrainerWatch(recipe, dir, job.earlyStop(), listener, step -> {
            if (recorder != null) {
                recorder.flush();
                store.discardAfter(job.runId(), step - 1);
            }
        });
        var pb = TrainerLaunch.prepare(recipe, data, dir, new TrainerLaunch.Start(resume, job.evalTest(), job.threads()));
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            return JobRunner.crashed(job.runId(), "trainer.command \"" + recipe.trainer().command() + "\" could not be started ("
                    + e.getMessage() + "); give a program on the PATH or a path relative to the run directory", seconds(t0), List.of());
        }
        var tail = new MetricsTail(dir.resolve(TrainerLaunch.METRICS));
        double limit = limits.limitSeconds(recipe.runBudget());
        boolean killed = false, stopping = false;
        TrainerWatch.Verdict verdict = TrainerWatch.Verdict.GO_ON;
        try {
            while (!process.waitFor(200, TimeUnit.MILLISECONDS)) {
                for (var line : tail.poll()) {
                    var v = watch.accept(TrainerLine.parse(line.text(), "line " + line.number()));
                    if (verdict == TrainerWatch.Verdict.GO_ON) verdict = v;
                }
                if (verdict != TrainerWatch.Verdict.GO_ON && !stopping) {
                    stopping = true;
                    if (verdict == TrainerWatch.Verdict.STOP_EARLY) touch(dir.resolve(TrainerLaunch.STOP));
                    Thread.ofVirtual().start(() -> terminate(process, termGraceSeconds));
                }
                if (seconds(t0) > limit) {
                    killed = true;
                    ChildJvmExecutor.kill(process);
                    break;
                }
            }
        } catch (InterruptedException e) {
            ChildJvmExecutor.kill(process);
            Thread.currentThread().interrupt();
        }
        for (var line : tail.rest()) watch.accept(TrainerLine.parse(line.text(), "line " + line.number()));
        double wall = seconds(t0);
        if (killed) {
            var event = new RunEvent(watch.steps(), EventKind.KILLED, "run-time-limit", Map.of("limit_seconds", limit,
                    "wall_seconds", wall), EventAction.KILL, String.format(Locale.ROOT, "killed after %.0f s: the trainer was "
                    + "still running at the hard limit of its budget", wall));
            listener.onEvent(event);
            return JobRunner.crashed(job.runId(), event.message(), wall, List.of(event));
        }
        return result(job, watch, listener, process.exitValue(), wall);
    }

    /** How the run ended, from the trainer's exit code, its summary and what the watch saw. */
    private static RunResult result(RunJob job, TrainerWatch watch, RunListener listener, int exit, double wall) {
        var summary = TrainerSummary.read(job.runDir());
        String logTail = Files2.tail(job.runDir().resolve(TrainerLaunch.LOG), 3).replace('\n', ' ').strip();
        String tail = logTail.isEmpty() ? "" : ": " + logTail;
        RunStatus status;
        String error = null;
        if (watch.divergence().isPresent()) {
            status = RunStatus.DIVERGED;
            error = watch.divergence().get();
        } else if (watch.stopReason().isPresent() && summary.ok()) {
            status = RunStatus.STOPPED;
        } else if (exit != 0) {
            status = RunStatus.CRASHED;
            error = "the trainer exited with code " + exit + tail;
        } else if (!summary.ok()) {
            status = RunStatus.CRASHED;
            error = "the trainer exited 0 but " + summary.problem() + tail;
        } else {
            status = RunStatus.FINISHED;
        }
        boolean evaluated = status == RunStatus.FINISHED || status == RunStatus.STOPPED;
        if (evaluated && watch.lastEvalStep() < watch.steps() - 1)
            listener.onEval(new dev.flywheel.engine.Trainer.EvalResult(watch.steps(), summary.valLoss(), summary.valBpb(), 0, 0));
        double trainSeconds = Double.isFinite(watch.seconds()) ? watch.seconds() : wall;
        long params = summary.params() > 0 ? summary.params() : job.recipe().estimatedParameters();
        return new RunResult(job.runId(), status, evaluated ? summary.valLoss() : Double.NaN,
                evaluated ? summary.valBpb() : Double.NaN, evaluated ? summary.testBpb() : Double.NaN, watch.recentLoss(),
                watch.steps(), watch.tokens(), trainSeconds, wall, params,
                trainSeconds > 0 ? watch.tokens() / trainSeconds : Double.NaN, null, error, watch.curve(), watch.events());
    }

    /** SIGTERM to the trainer and everything it started; SIGKILL for what is still alive after the grace period. */
    static void terminate(Process process, double graceSeconds) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor((long) (graceSeconds * 1000), TimeUnit.MILLISECONDS)) ChildJvmExecutor.kill(process);
        } catch (InterruptedException e) {
            ChildJvmExecutor.kill(process);
            Thread.currentThread().interrupt();
        }
    }

    private static void touch(Path file) {
        try {
            Files.writeString(file, "stopped early by the lab's pruner\n");
        } catch (IOException ignored) {
            // the SIGTERM still stops the run; only the trainer's choice to evaluate first is lost
        }
    }

    private static RunListener both(RunListener first, RunListener second) {
        return new RunListener() {
            @Override
            public void onStart(RunInfo info) {
                first.onStart(info);
                second.onStart(info);
            }

            @Override
            public void onStep(dev.flywheel.engine.Trainer.StepStats s) {
                first.onStep(s);
                second.onStep(s);
            }

            @Override
            public void onEval(dev.flywheel.engine.Trainer.EvalResult e) {
                first.onEval(e);
                second.onEval(e);
            }

            @Override
            public void onEvent(RunEvent e) {
                first.onEvent(e);
                second.onEvent(e);
            }
        };
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    @Override
    public String describe() {
        return "external trainers, else " + engine.describe();
    }
}
