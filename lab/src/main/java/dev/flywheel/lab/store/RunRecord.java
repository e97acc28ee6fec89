package dev.flywheel.lab.store;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.Outcome;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Change;

import java.time.Duration;
import java.time.Instant;

/**
 * A run as stored. Nullable fields are null until known: metric and counts until the run ends, the test
 * metric unless the run was the study's final best.
 *
 * @param ordinal     its position in the study, 1-based (null outside a study)
 * @param recipeJson  the recipe's canonical JSON
 * @param changeJson  the change from the parent as JSON, or null
 * @param attempts    how many times it was started; above 1 when a resumed study restarted it
 * @param metric      the study's metric on the validation split at the end of the run
 * @param testMetric  the metric on the held-out test split, measured once at the end of a study
 * @param trainSeconds training time only, which is what the run budget charges
 * @param experiment  the experiment it belongs to (the id of its first run), or null outside a study
 * @param role        what part it plays in its study; null outside a study
 * @param status      {@link RunStatus#STOPPED} exactly when {@code stoppedAt} is set
 * @param error       why it ended so, for a run that did not finish its budget (see {@link #outcome()})
 * @param stoppedAt   the fraction of its budget spent when successive halving stopped it, or null
 */
public record RunRecord(String id, String study, Integer ordinal, String recipeJson, String recipeHash, String parent,
                        String changeJson, String proposer, String hypothesis, RunStatus status, int attempts,
                        Double metric, Double testMetric, Long steps, Long tokens, Double trainSeconds,
                        Instant queuedAt, Instant startedAt, Instant finishedAt, String checkpointPath, String error,
                        String experiment, Role role, Double stoppedAt) {

    /** How it ended, or null while it is queued or running. */
    public Outcome outcome() {
        return Outcome.of(status, stoppedAt, error);
    }

    public Recipe recipe() {
        return Recipe.parse(recipeJson, "run " + id);
    }

    /** The change from the parent recipe, or null for a baseline. */
    public Change change() {
        return changeJson == null ? null : Change.parse(changeJson);
    }

    /** Wall-clock time from start to end, start-up and evaluation included; null until the run ended. */
    public Duration wallTime() {
        return startedAt == null || finishedAt == null ? null : Duration.between(startedAt, finishedAt);
    }
}
