package dev.flywheel.lab.study;

import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What {@link Study#runExperiment} returns — to the built-in researcher and, as a tool result, to an agent.
 *
 * @param experiment  the experiment's id (its first run's id)
 * @param runs        its runs: the requested seeds, plus a confirmation run for a close call
 * @param status      finished, stopped (early), diverged, crashed or killed — the worst of its runs
 * @param metric      the mean metric of its finished runs, or null
 * @param metrics     each run's metric (null where none)
 * @param bestBefore  the best metric it was compared with
 * @param delta       metric − bestBefore (negative is better), or null
 * @param noiseFloor  σ, the noise floor the decision used
 * @param sigmas      how many σ better than the best (negative: worse), or null
 * @param decision    keep or discard
 * @param rationale   why, in words
 * @param curve       the learning curve of its first run in one line (see {@link Diagnostics#summary()})
 * @param events      guard and executor events of its runs, one line each
 * @param bestAfter   the best metric after the decision
 */
public record ExperimentResult(String experiment, List<String> runs, String proposer, String hypothesis,
                               String change, List<String> diff, String status, Double metric, List<Double> metrics,
                               Double bestBefore, Double delta, Double noiseFloor, Double sigmas, String decision,
                               String rationale, String curve, List<String> events, Double bestAfter) {

    public boolean kept() {
        return "keep".equals(decision);
    }

    /**
     * The experiment {@code trial} as the history has it.
     *
     * @param diagnostics its first run's diagnostics
     * @param events      a run's event lines, by run id
     */
    static ExperimentResult of(StudyHistory h, String trial, Diagnostics diagnostics,
                               Function<String, List<String>> events) {
        var runs = h.trial(trial);
        var first = runs.getFirst();
        var d = h.decision(first.id());
        var before = Standing.of(h.before(first.ordinal()));
        var after = Standing.of(h);
        var metrics = runs.stream().map(RunRecord::metric).toList();
        var complete = Standing.completeMetrics(runs);
        Double mean = complete.size() == runs.size() ? Standing.mean(complete) : null;
        var status = runs.stream().map(RunRecord::status).filter(s -> !s.evaluated()).findFirst()
                .orElse(runs.stream().anyMatch(r -> r.status() == RunStatus.STOPPED) ? RunStatus.STOPPED : RunStatus.FINISHED);
        var lines = new ArrayList<String>();
        for (var r : runs) for (var e : events.apply(r.id())) lines.add(r.id() + " " + e);
        double noise = before.noise().used();
        return new ExperimentResult(trial, runs.stream().map(RunRecord::id).toList(), first.proposer(),
                first.hypothesis(), first.change() == null ? "" : first.change().describe(), h.diffFromParent(first),
                status.id(), mean, metrics, before.bestMetric(), mean == null ? null : mean - before.bestMetric(), noise,
                mean == null ? null : (before.bestMetric() - mean) / noise, d == null ? null : d.decision().id(),
                d == null ? null : d.rationale(), diagnostics.summary(), lines, after.bestMetric());
    }
}
