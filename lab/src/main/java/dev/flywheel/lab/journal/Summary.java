package dev.flywheel.lab.journal;

import dev.flywheel.lab.Metric;

import java.nio.file.Path;
import java.util.List;

/**
 * The end of a study, for the journal's last section.
 *
 * @param runs           runs made
 * @param kept           runs kept
 * @param baselineRun    the baseline's run id
 * @param baselineMetric its metric
 * @param bestRun        the best run's id
 * @param bestMetric     its metric
 * @param noiseFloor     the noise standard deviation measured on the baseline
 * @param keptChanges    the kept changes in order, one line each
 * @param bestRecipe     where the best recipe was written, or null
 * @param testMetric     the best recipe's metric on the held-out test split, or null
 * @param text           anything else to say (a researcher's own summary), or null
 */
public record Summary(Metric metric, int runs, int kept, String baselineRun, Double baselineMetric, String bestRun,
                      Double bestMetric, Double noiseFloor, List<String> keptChanges, Path bestRecipe, Double testMetric,
                      String text) {

    public Summary {
        keptChanges = keptChanges == null ? List.of() : List.copyOf(keptChanges);
    }
}
