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
 * @param bestRecipe   the best recipe as a file {@code flywheel train --recipe} accepts
 */
public record Conclusion(String study, String metric, int runs, int kept, String baselineRun, Double baselineMetric,
                         String bestRun, Double bestMetric, Double noiseFloor, Double testMetric,
                         List<String> keptChanges, String scaleCheck, Path bestRecipe, Path journal, Path results,
                         Path chart, String summary) {
}
