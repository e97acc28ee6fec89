package dev.flywheel.lab.study;

import java.util.List;

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
}
