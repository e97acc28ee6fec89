package dev.flywheel.lab.store;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.run.Outcome;
import dev.flywheel.lab.run.RunStatus;

/**
 * How a run ended, as {@link Store#finishRun} records it: its {@link Outcome} and what it measured.
 *
 * @param end            how it ended: finished, stopped early (and where), diverged, crashed or killed (and why)
 * @param metric         the study's metric on the validation split, or null (crashed before evaluating)
 * @param steps          optimizer steps taken
 * @param tokens         training tokens consumed
 * @param trainSeconds   training time charged to the budget
 * @param checkpointPath the last checkpoint, or null
 */
public record RunOutcome(Outcome end, Double metric, Long steps, Long tokens, Double trainSeconds,
                         String checkpointPath) {

    public RunOutcome {
        if (end == null)
            throw new LabException("a run outcome needs an end (finished, stopped, crashed, diverged or killed)");
    }

    public static RunOutcome finished(double metric, long steps, long tokens, double trainSeconds, String checkpointPath) {
        return new RunOutcome(Outcome.FINISHED, metric, steps, tokens, trainSeconds, checkpointPath);
    }

    /** A run that ended without a metric. */
    public static RunOutcome failed(Outcome end, Long steps, Long tokens, Double trainSeconds) {
        return new RunOutcome(end, null, steps, tokens, trainSeconds, null);
    }

    public RunStatus status() {
        return end.status();
    }

    /** The store's {@code error} column: why it ended so, null for a finished run. */
    public String error() {
        return end.reason();
    }

    /** The store's {@code stopped_at} column: the budget fraction where it was stopped early, or null. */
    public Double stoppedAt() {
        return end instanceof Outcome.StoppedEarly s && Double.isFinite(s.progress()) ? s.progress() : null;
    }
}
