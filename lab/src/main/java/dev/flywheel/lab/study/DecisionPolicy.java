package dev.flywheel.lab.study;

import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The decision procedure, as pure functions of plain values: what the baseline's seeds establish, and whether an
 * experiment is kept, discarded or confirmed with another seed ({@link KeepRule}). The study only records what
 * these return.
 */
final class DecisionPolicy {

    private DecisionPolicy() {
    }

    /** The baseline's decisions: every finished seed is kept (together they are the first best and the noise floor). */
    static List<DecisionRecord> baseline(String study, List<RunRecord> runs) {
        var metrics = runs.stream().filter(DecisionPolicy::finished).map(RunRecord::metric).toList();
        double mean = Standing.mean(metrics);
        var noise = NoiseFloor.estimate(List.of(metrics), Double.isFinite(mean) ? mean : 0);
        var out = new ArrayList<DecisionRecord>();
        for (int i = 0; i < runs.size(); i++) {
            var r = runs.get(i);
            boolean ok = finished(r);
            String why = ok
                    ? String.format(Locale.ROOT, "baseline seed %d of %d: with the others it sets the starting best "
                    + "(mean %.4f over %d seeds) and the noise floor (%s)", i + 1, runs.size(), mean, metrics.size(), noise.describe())
                    : "baseline seed " + (i + 1) + " " + r.status().id() + (r.error() == null ? "" : ": " + r.error())
                    + "; the noise floor is measured on the seeds that finished";
            out.add(new DecisionRecord(study, r.id(), ok ? Decision.KEEP : Decision.DISCARD, r.metric(), null, null,
                    noise.used(), why, null));
        }
        return out;
    }

    /**
     * The verdict on an experiment's runs so far, against the standing before it.
     *
     * @param confirmAllowed whether a close call may get another seed (none was added yet and the budget has room)
     */
    static KeepRule.Verdict experiment(Standing before, List<RunRecord> runs, double keepSigmas, boolean confirmAllowed) {
        var ends = runs.stream().map(r -> new KeepRule.Run(r.outcome(), r.metric())).toList();
        return KeepRule.decide(before.bestMetric(), before.noise().used(), keepSigmas, ends, confirmAllowed);
    }

    /** The records of a final verdict (keep or discard), one per run of the experiment. */
    static List<DecisionRecord> records(String study, List<RunRecord> runs, Standing before, KeepRule.Verdict verdict) {
        if (verdict.kind() == KeepRule.Kind.CONFIRM) throw new IllegalArgumentException("a confirmation is not a decision");
        var decision = verdict.kind() == KeepRule.Kind.KEEP ? Decision.KEEP : Decision.DISCARD;
        return runs.stream().map(r -> new DecisionRecord(study, r.id(), decision, r.metric(), before.bestMetric(),
                r.metric() == null ? null : r.metric() - before.bestMetric(), before.noise().used(), verdict.rationale(),
                null)).toList();
    }

    private static boolean finished(RunRecord r) {
        return r.status() == RunStatus.FINISHED && r.metric() != null;
    }
}
