package dev.flywheel.lab.run;

import dev.flywheel.engine.Trainer;

/** Observes a run as it goes: progress printing, metric recording, early stopping. All methods are optional. */
public interface RunListener {

    /** The run is set up: data prepared, model built. */
    default void onStart(RunInfo info) {}

    default void onStep(Trainer.StepStats stats) {}

    default void onEval(Trainer.EvalResult eval) {}

    default void onEvent(RunEvent event) {}

    /**
     * A checkpoint of the first {@code steps} steps is about to be saved mid-run: whatever the listener buffered
     * must reach the store now, since a run killed after the save resumes from it.
     */
    default void onCheckpoint(long steps) {}

    /**
     * Asked after every step: true stops the run now (it is then evaluated and reported as STOPPED). Successive
     * halving uses this to end runs whose curve is clearly worse than the best run's at the same progress.
     */
    default boolean stopEarly(Trainer.StepStats stats) {
        return false;
    }

    /** What a run is about to train. */
    record RunInfo(String runId, long params, int vocabSize, String tokenizer, long trainTokens, long valTokens,
                   int tokensPerStep, String budget, String dataDir) {}

    RunListener NONE = new RunListener() {};
}
