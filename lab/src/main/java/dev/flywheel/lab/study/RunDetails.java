package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;

import java.util.List;

/**
 * One run in depth, for {@link Study#runDetails} (the {@code run_details} tool): its row, recipe and diffs,
 * downsampled loss / learning-rate / gradient-norm curve, evaluations, events, diagnostics and, for a failed run,
 * its error and the end of its log.
 *
 * @param diffFromParent what its proposer changed from the recipe it was applied to
 * @param diffFromStart  how its recipe differs from the study's starting recipe
 * @param curve          at most 64 points, each the mean of its stretch of steps
 * @param evals          (step, validation loss, validation metric) points
 */
public record RunDetails(StudyState.Row row, Recipe recipe, List<String> diffFromParent, List<String> diffFromStart,
                         List<Curve.Point> curve, List<double[]> evals, List<String> events, Diagnostics diagnostics,
                         String error, String checkpoint, String logTail) {
}
