package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.RunStatus;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Where a study stands after a history: the baseline, the best recipe and its metric, the noise floor and the kept
 * changes in order. A pure fold over the trials ({@link #of}).
 *
 * <p>The baseline's mean is the first best; the seed closest to that mean stands for it (its curve, checkpoint and
 * diagnostics). Each kept experiment then becomes the best, at the mean of its complete runs. The noise floor pools
 * the baseline's seeds with every decided experiment that had two or more complete runs.
 *
 * @param baselineRun    the baseline seed that stands for the baseline, or null before the baseline
 * @param bestExperiment the trial of the current best
 * @param bestRun        the run that stands for the current best
 * @param kept           the kept experiments' ids, in order
 * @param keptLines      one line per kept experiment: run, proposer, change, metric and gain
 */
public record Standing(String baselineRun, Double baselineMetric, String bestExperiment, String bestRun,
                       Recipe bestRecipe, Double bestMetric, NoiseFloor.Estimate noise, List<String> kept,
                       List<String> keptLines) {

    public static Standing of(StudyHistory history) {
        List<Double> baseline = List.of();
        String baselineRun = null, bestExperiment = null, bestRun = null;
        var noiseGroups = new ArrayList<List<Double>>();
        Recipe best = history.start();
        Double bestMetric = null;
        var kept = new ArrayList<String>();
        var keptLines = new ArrayList<String>();
        for (var g : history.trials().entrySet()) {
            var runs = g.getValue();
            var first = runs.getFirst();
            var complete = completeMetrics(runs);
            if (first.role() == Role.BASELINE) {
                baseline = complete;
                bestExperiment = g.getKey();
                bestMetric = complete.isEmpty() ? null : mean(complete);
                double m = bestMetric == null ? Double.NaN : bestMetric;
                baselineRun = runs.stream().filter(r -> r.status() == RunStatus.FINISHED && r.metric() != null)
                        .min(Comparator.comparingDouble(r -> Math.abs(r.metric() - m))).map(RunRecord::id)
                        .orElse(first.id());
                bestRun = baselineRun;
                noiseGroups.add(complete);
                continue;
            }
            if (first.role() != Role.EXPERIMENT) continue;
            if (complete.size() >= 2 && history.allDecided(runs)) noiseGroups.add(complete);
            var d = history.decision(first.id());
            if (d != null && d.decision() == Decision.KEEP && !complete.isEmpty()) {
                double before = bestMetric == null ? Double.NaN : bestMetric;
                best = history.withSeed(first.recipe(), 0);
                bestMetric = mean(complete);
                bestExperiment = g.getKey();
                bestRun = first.id();
                kept.add(g.getKey());
                keptLines.add(String.format(Locale.ROOT, "%s (%s): %s → %.4f (%+.4f)", first.id(), first.proposer(),
                        first.change() == null ? "?" : first.change().describe(), bestMetric, bestMetric - before));
            }
        }
        double baseMean = baseline.isEmpty() ? 0 : mean(baseline);
        var noise = NoiseFloor.estimate(noiseGroups, baseMean);
        return new Standing(baselineRun, baseline.isEmpty() ? null : baseMean, bestExperiment, bestRun, best, bestMetric,
                noise, List.copyOf(kept), List.copyOf(keptLines));
    }

    /** The metrics of the runs that completed their whole budget. */
    static List<Double> completeMetrics(List<RunRecord> runs) {
        return runs.stream().filter(StudyHistory::complete).map(RunRecord::metric).toList();
    }

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
