package dev.flywheel.lab.run;

/**
 * How a run ended: the closed set of ends, each with what the journal says about it. A run's metric and counts are
 * kept beside it (the store's {@code RunOutcome}); this is the part every reader interprets — a decision discards
 * anything but {@link Finished}, the journal describes the rest.
 */
public sealed interface Outcome {

    RunStatus status();

    /** Why it ended so (the early-stop rule's message, the error, the divergence); null for a finished run. */
    String reason();

    /** Spent its whole budget and was evaluated. */
    record Finished() implements Outcome {
        public RunStatus status() {
            return RunStatus.FINISHED;
        }

        public String reason() {
            return null;
        }
    }

    /** Stopped by successive halving after spending {@code progress} (a fraction) of its budget; it was evaluated. */
    record StoppedEarly(double progress, String reason) implements Outcome {
        public RunStatus status() {
            return RunStatus.STOPPED;
        }
    }

    /** The loss or the final metric became NaN/infinite, or the guard gave up remediating. */
    record Diverged(String reason) implements Outcome {
        public RunStatus status() {
            return RunStatus.DIVERGED;
        }
    }

    /** An error ended it. */
    record Crashed(String reason) implements Outcome {
        public RunStatus status() {
            return RunStatus.CRASHED;
        }
    }

    /** The process running it was killed and its result lost. */
    record Killed(String reason) implements Outcome {
        public RunStatus status() {
            return RunStatus.KILLED;
        }
    }

    Finished FINISHED = new Finished();

    /**
     * The outcome a stored run holds, from its status, how far it got when stopped early and its error; null while
     * it is queued or running.
     */
    static Outcome of(RunStatus status, Double stoppedAt, String error) {
        return switch (status) {
            case QUEUED, RUNNING -> null;
            case FINISHED -> FINISHED;
            case STOPPED -> new StoppedEarly(stoppedAt == null ? Double.NaN : stoppedAt, error);
            case DIVERGED -> new Diverged(error);
            case CRASHED -> new Crashed(error);
            case KILLED -> new Killed(error);
        };
    }

    /** Whether the run spent its whole budget and was evaluated: the only end a decision can keep. */
    default boolean finished() {
        return this instanceof Finished;
    }
}
