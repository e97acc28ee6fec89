package dev.flywheel.lab.store;

import dev.flywheel.lab.LabException;

/**
 * How a run ended, as {@link Store#finishRun} records it.
 *
 * @param status         a final status
 * @param metric         the study's metric on the validation split, or null (crashed before evaluating)
 * @param steps          optimizer steps taken
 * @param tokens         training tokens consumed
 * @param trainSeconds   training time charged to the budget
 * @param checkpointPath the last checkpoint, or null
 * @param error          what went wrong, for crashed, diverged and killed runs
 */
public record RunOutcome(RunStatus status, Double metric, Long steps, Long tokens, Double trainSeconds,
                         String checkpointPath, String error) {

    public RunOutcome {
        if (status == null || !status.isFinal())
            throw new LabException("a run outcome needs a final status (finished, crashed, diverged or killed), not " + status);
    }

    public static RunOutcome finished(double metric, long steps, long tokens, double trainSeconds, String checkpointPath) {
        return new RunOutcome(RunStatus.FINISHED, metric, steps, tokens, trainSeconds, checkpointPath, null);
    }

    public static RunOutcome failed(RunStatus status, String error, Long steps, Long tokens, Double trainSeconds) {
        return new RunOutcome(status, null, steps, tokens, trainSeconds, null, error);
    }
}
