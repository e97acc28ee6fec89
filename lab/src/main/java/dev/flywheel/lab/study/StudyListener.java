package dev.flywheel.lab.study;

import dev.flywheel.data.Progress;
import dev.flywheel.lab.exec.RunWatcher;
import dev.flywheel.lab.run.RunEvent;

/**
 * What a study tells the person (or program) watching it, as it goes: phases, each run as it starts, trains and
 * ends, each decision and note. Called from the study's thread, and for runs in child JVMs from a reader thread.
 */
public interface StudyListener {

    /** Where the study stands when a run starts: for a progress line. */
    record Standing(Double bestMetric, String bestRun, Double noise, double spentSeconds, Double leftSeconds,
                    int runsDone, Integer runsTotal) {}

    /** A run about to start (or restart after a kill). */
    record RunStart(String runId, int ordinal, String role, String proposer, String hypothesis, String description,
                    boolean resumed, Standing standing) {}

    default Progress dataProgress() {
        return Progress.none();
    }

    default void phase(String message) {}

    default void runStarted(RunStart start) {}

    default void runProgress(String runId, RunWatcher.Step step) {}

    default void runEvent(String runId, RunEvent event) {}

    /** A run ended (before the decision, which may wait for further seeds). */
    default void runEnded(String runId, String status, Double metric, double wallSeconds) {}

    default void decided(ExperimentResult result) {}

    default void noted(String author, String text) {}

    StudyListener NONE = new StudyListener() {};
}
