package dev.flywheel.lab.exec;

import dev.flywheel.lab.run.RunResult;

/**
 * Where runs execute: {@link InProcessExecutor} (tests, debugging) or {@link ChildJvmExecutor} (a JVM per run, the
 * default of a study). Either way a run's metric points and events reach the store while it trains, its result
 * is left in {@code result.json} in its run directory, and a run that fails — an exception, out of memory, a JVM
 * that dies or overruns its budget and is killed — comes back as a CRASHED result instead of an exception:
 * a failed run is a result of the study, never the end of it.
 */
public interface Executor {

    /** Runs the job to its end; {@code watcher} hears its progress (from another thread for a child JVM). */
    RunResult execute(RunJob job, RunWatcher watcher);

    /** A short name for logs and the journal: "in-process", "child-jvm". */
    String describe();
}
