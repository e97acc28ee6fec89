package dev.flywheel.lab.study;

import java.nio.file.Path;
import java.util.List;

/**
 * How a study ended: baseline against best, the kept changes in order, the scale check, the held-out test, and
 * where to read about it.
 *
 * @param runs         training runs made (every role)
 * @param kept         experiments kept
 * @param scaleCheck   whether the kept changes held at a larger model, in words (null when not checked)
 * @param testMetric   the best recipe's metric on the held-out test split, measured once (null without a test split)
 * @param bestRecipe   the recipe the study exports, as a file {@code flywheel train --recipe} accepts: the best at
 *                     the study's size when the scale check held or was not run, else the starting recipe
 * @param scaleHeld    whether the kept changes held at scale: true, false (did not hold, or a scale run failed), or
 *                     null when not checked
 * @param candidateRecipe the best recipe at the study's size, exported or not
 */
public record Conclusion(String study, String metric, int runs, int kept, String baselineRun, Double baselineMetric,
                         String bestRun, Double bestMetric, Double noiseFloor, Double testMetric,
                         List<String> keptChanges, String scaleCheck, Path bestRecipe, Path journal, Path results,
                         Path chart, String summary, Boolean scaleHeld, Path candidateRecipe) {
}
