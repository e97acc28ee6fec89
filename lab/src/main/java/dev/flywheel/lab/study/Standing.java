package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
        var remeasured = remeasured(history);
        for (var g : history.trials().entrySet()) {
            var runs = g.getValue();
            var first = runs.getFirst();
            var complete = new ArrayList<>(completeRuns(runs));
            if (first.role() == Role.BASELINE) {
                complete.addAll(remeasured.getOrDefault(g.getKey(), List.of()));
                baseline = metrics(complete);
                bestExperiment = g.getKey();
                bestMetric = complete.isEmpty() ? null : mean(baseline);
                baselineRun = closestToMean(complete, first);
                bestRun = baselineRun;
                noiseGroups.add(baseline);
                continue;
            }
            if (first.role() != Role.EXPERIMENT) continue;
            if (complete.size() >= 2 && history.allDecided(runs)) noiseGroups.add(metrics(complete));
            var d = history.decision(first.id());
            if (d != null && d.decision() == Decision.KEEP && !complete.isEmpty()) {
                double before = bestMetric == null ? Double.NaN : bestMetric;
                best = history.withSeed(first.recipe(), 0);
                bestMetric = mean(metrics(complete));
                bestExperiment = g.getKey();
                bestRun = first.id();
                kept.add(g.getKey());
                var line = String.format(Locale.ROOT, "%s (%s): %s → %.4f (%+.4f)", first.id(), first.proposer(),
                        first.change() == null ? "?" : first.change().describe(), bestMetric, bestMetric - before);
                // the paired procedure re-measures a kept change on fresh seeds: that is its metric from here on
                var fresh = remeasured.getOrDefault(g.getKey(), List.of());
                if (!fresh.isEmpty()) {
                    bestMetric = mean(metrics(fresh));
                    bestRun = closestToMean(fresh, fresh.getFirst());
                    if (fresh.size() >= 2) noiseGroups.add(metrics(fresh));
                    line += String.format(Locale.ROOT, ", re-measured %.4f on %d fresh seed%s", bestMetric, fresh.size(),
                            fresh.size() == 1 ? "" : "s");
                }
                keptLines.add(line);
            }
        }
        double baseMean = baseline.isEmpty() ? 0 : mean(baseline);
        var noise = NoiseFloor.estimate(noiseGroups, baseMean);
        return new Standing(baselineRun, baseline.isEmpty() ? null : baseMean, bestExperiment, bestRun, best, bestMetric,
                noise, List.copyOf(kept), List.copyOf(keptLines));
    }

    /** The complete re-measurements of each recipe's table, by the trial of the run they re-measure. */
    private static Map<String, List<RunRecord>> remeasured(StudyHistory h) {
        var out = new HashMap<String, List<RunRecord>>();
        for (var r : h.runsOf(Role.REMEASURE)) {
            if (!StudyHistory.complete(r) || r.parent() == null) continue;
            h.run(r.parent()).ifPresent(p -> out.computeIfAbsent(p.experiment(), k -> new ArrayList<>()).add(r));
        }
        return out;
    }

    /** The finished run whose metric is closest to the runs' mean: it stands for them (its curve, its checkpoint). */
    private static String closestToMean(List<RunRecord> runs, RunRecord fallback) {
        double m = mean(metrics(runs));
        return runs.stream().filter(r -> r.status().evaluated() && r.metric() != null)
                .min(Comparator.comparingDouble(r -> Math.abs(r.metric() - m))).map(RunRecord::id).orElse(fallback.id());
    }

    private static List<Double> metrics(List<RunRecord> runs) {
        return runs.stream().map(RunRecord::metric).toList();
    }

    private static List<RunRecord> completeRuns(List<RunRecord> runs) {
        return runs.stream().filter(StudyHistory::complete).toList();
    }

    /** The metrics of the runs that completed their whole budget. */
    static List<Double> completeMetrics(List<RunRecord> runs) {
        return runs.stream().filter(StudyHistory::complete).map(RunRecord::metric).toList();
    }

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
