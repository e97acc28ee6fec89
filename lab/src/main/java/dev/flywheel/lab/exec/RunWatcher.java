package dev.flywheel.lab.exec;

import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;

/**
 * What the process that started a run hears of it while it trains — the same for a run in this JVM and one in a
 * child JVM, where it arrives over the child's stdout. It observes only: stopping a run early is the job's
 * {@link EarlyStop} rule, which travels with the run.
 */
public interface RunWatcher {

    default void started(RunListener.RunInfo info) {}

    /** A training step; from a child JVM at most ten a second (the store has every step). */
    default void stepped(Step step) {}

    default void evaluated(Eval eval) {}

    default void event(RunEvent event) {}

    /** One optimizer step: {@code progress} is the fraction of the run budget spent. */
    record Step(long step, double loss, double lr, double gradNorm, long tokens, double trainSeconds, double progress) {}

    /** An evaluation on the study's fixed validation windows. */
    record Eval(long step, double loss, double bitsPerByte) {}

    RunWatcher NONE = new RunWatcher() {};
}
