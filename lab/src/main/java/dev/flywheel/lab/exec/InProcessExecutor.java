package dev.flywheel.lab.exec;

import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.store.Store;

/**
 * Runs each job in this JVM: quick to start, easy to debug, and what the tests use. A run that throws or runs out
 * of memory still comes back as a CRASHED result, but nothing stops a run that hangs or takes the heap down with
 * it — that isolation is what {@link ChildJvmExecutor} is for.
 */
public final class InProcessExecutor implements Executor {

    private final Store store;
    private final double warmupSeconds;
    private boolean warm;

    /** @param store where runs record metric points and events (their job's storeUrl is not reopened), or null */
    public InProcessExecutor(Store store) {
        this(store, 30);
    }

    /** @param warmupSeconds the longest JIT warm-up before the first run of this JVM ({@link JitWarmup}); 0 for none */
    public InProcessExecutor(Store store, double warmupSeconds) {
        this.store = store;
        this.warmupSeconds = warmupSeconds;
    }

    @Override
    public RunResult execute(RunJob job, RunWatcher watcher) {
        JobRunner.deleteQuietly(job.resultFile());
        job.write();
        double warmup;
        synchronized (this) {
            warmup = warm ? 0 : warmupSeconds;
            warm = true;
        }
        return JobRunner.run(job, job.storeUrl() == null ? null : store, listen(watcher), warmup);
    }

    /** The watcher as a run listener. */
    static RunListener listen(RunWatcher w) {
        return new RunListener() {
            @Override
            public void onStart(RunInfo info) {
                w.started(info);
            }

            @Override
            public void onStep(Trainer.StepStats s) {
                w.stepped(new RunWatcher.Step(s.step(), s.loss(), s.lr(), s.gradNorm(), s.tokens(), s.trainSeconds(),
                        s.progress()));
            }

            @Override
            public void onEval(Trainer.EvalResult e) {
                w.evaluated(new RunWatcher.Eval(e.step(), e.loss(), e.bitsPerByte()));
            }

            @Override
            public void onEvent(RunEvent e) {
                w.event(e);
            }
        };
    }

    @Override
    public String describe() {
        return "in-process";
    }
}
