package dev.flywheel.lab.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * Where a run is in its life, and how it ended: the one status of a run, in {@link RunResult} ({@code result.json}),
 * the store and every report. Queued and running are not final; the others are, and each is a result (the journal
 * records crashed and diverged runs too). {@link Outcome} is how a final run ended, with its reason.
 *
 * <p>The ids are the words written to {@code result.json} and the store's {@code status} column. The store's
 * column predates {@code stopped}: it records a stopped run as {@code finished} with {@code stopped_at} set, and
 * reads that back as {@link #STOPPED}.
 */
public enum RunStatus {
    /** waiting for an executor */
    QUEUED,
    /** being trained (or was, when the study was killed; it resumes) */
    RUNNING,
    /** spent its budget and was evaluated */
    FINISHED,
    /** stopped before its budget because its learning curve was clearly losing (successive halving); evaluated */
    STOPPED,
    /** the loss became NaN/infinite, the guard gave up remediating, or the final metric is not finite */
    DIVERGED,
    /** an error ended it (out of memory, a bug, a dead process) */
    CRASHED,
    /** the study's process was killed while it ran, and its result was lost */
    KILLED;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The status named {@code id} ({@code finished}, {@code stopped}, …; case does not matter). */
    @JsonCreator
    public static RunStatus of(String id) {
        for (var s : values()) if (s.id().equalsIgnoreCase(id.trim())) return s;
        throw new IllegalArgumentException("unknown run status '" + id + "'");
    }

    public boolean isFinal() {
        return this != QUEUED && this != RUNNING;
    }

    /** Finished or stopped early: the run trained and was evaluated, so it has a metric. */
    public boolean evaluated() {
        return this == FINISHED || this == STOPPED;
    }
}
