package dev.flywheel.lab.store;

import java.time.Instant;
import java.util.Objects;

/**
 * The keep/discard verdict on one run of a study.
 *
 * @param metric     the run's metric (null if it crashed)
 * @param bestBefore the best metric before this run
 * @param delta      metric − bestBefore (negative is better for a metric that is minimised)
 * @param noiseFloor the noise standard deviation the decision used
 * @param rationale  why, in words
 */
public record DecisionRecord(String study, String run, Decision decision, Double metric, Double bestBefore,
                             Double delta, Double noiseFloor, String rationale, Instant decidedAt) {

    public DecisionRecord {
        Objects.requireNonNull(study, "study");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(rationale, "rationale");
    }
}
