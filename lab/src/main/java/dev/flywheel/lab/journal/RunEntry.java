package dev.flywheel.lab.journal;

import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Decision;

import java.util.List;
import java.util.Objects;

/**
 * One run as the journal tells it: who proposed what and why, what changed, what came out, and the verdict.
 *
 * @param ordinal      the run's position in the study, from 1
 * @param runId        the run's id in the store
 * @param proposer     who proposed it: "baseline", "builtin", a model id
 * @param hypothesis   why, in the proposer's words (null for none)
 * @param diff         {@code Recipe.diff} lines from the recipe it changed (empty for a baseline)
 * @param description  one line for results.tsv, such as "optimizer.lr=0.002" or "baseline (seed 2)"
 * @param status       how the run ended
 * @param metric       the study's metric, or null when the run produced none
 * @param delta        metric − best before it (negative is better), or null
 * @param noiseFloor   the noise standard deviation the decision used, or null before it is measured
 * @param decision     keep or discard
 * @param rationale    why, in words
 * @param trainSeconds training time charged to the run budget, or null
 * @param steps        optimizer steps, or null
 * @param events       guard events, one line each, such as "step 150: loss spike (z 8.4) → rolled back"
 */
public record RunEntry(int ordinal, String runId, String proposer, String hypothesis, List<String> diff,
                       String description, RunStatus status, Double metric, Double delta, Double noiseFloor,
                       Decision decision, String rationale, Double trainSeconds, Long steps, List<String> events) {

    public RunEntry {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(decision, "decision");
        diff = diff == null ? List.of() : List.copyOf(diff);
        events = events == null ? List.of() : List.copyOf(events);
        description = description == null ? "" : description;
    }

    /** The results.tsv status: keep or discard for a run that was evaluated (stopped early too), crash for one that was not. */
    public String resultStatus() {
        return status.evaluated() ? decision.id() : "crash";
    }

    public boolean kept() {
        return status.evaluated() && decision == Decision.KEEP;
    }
}
