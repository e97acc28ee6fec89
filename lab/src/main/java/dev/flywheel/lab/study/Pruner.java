package dev.flywheel.lab.study;

import dev.flywheel.lab.exec.EarlyStop;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Successive halving: an experiment is compared with the current best's runs at a few fractions of its budget (the
 * rungs), and stopped when its training loss is clearly above theirs — by more than three seed-to-seed standard
 * deviations of the baseline's loss there, and at least a minimum margin. Only runs with the best's schedule shape
 * are compared: a warmup-stable-decay run is meant to be behind a cosine one until its decay.
 *
 * @param rungs where to compare and the minimum relative margin at each
 */
record Pruner(List<Rung> rungs) {

    /**
     * @param progress  the fraction of the budget at which to compare
     * @param minMargin the least margin, as a fraction of the best's loss there
     */
    record Rung(double progress, double minMargin) {}

    /** Half and three quarters of the budget, with margins of at least 3% and 2%. */
    static final Pruner DEFAULT = new Pruner(List.of(new Rung(0.5, 0.03), new Rung(0.75, 0.02)));

    /** How much progress before a rung the training loss is averaged over. */
    static final double WINDOW = 0.1;

    Pruner {
        rungs = List.copyOf(rungs);
    }

    /**
     * The rungs {@code run} must pass, from the history and the curves of earlier runs; none for a run that is not an
     * experiment or whose schedule differs from the best's.
     */
    EarlyStop plan(RunRecord run, StudyHistory history, Function<RunRecord, Curve> curves) {
        if (run.role() != Role.EXPERIMENT) return EarlyStop.NONE;
        var st = Standing.of(history.before(run.ordinal()));
        var s = run.recipe().schedule();
        var b = st.bestRecipe().schedule();
        if (s.kind() != b.kind() || s.decayFraction() != b.decayFraction()) return EarlyStop.NONE;
        var reference = history.trial(st.bestExperiment()).stream()
                .filter(r -> r.status() == RunStatus.FINISHED).toList();
        var baseline = history.runsOf(Role.BASELINE).stream().filter(r -> r.status() == RunStatus.FINISHED).toList();
        if (reference.isEmpty()) return EarlyStop.NONE;
        var out = new ArrayList<EarlyStop.Rung>();
        for (var rung : rungs) {
            var ref = reference.stream().mapToDouble(r -> curves.apply(r).lossAt(rung.progress(), WINDOW))
                    .filter(Double::isFinite).average();
            if (ref.isEmpty()) continue;
            var spread = NoiseFloor.std(baseline.stream().map(r -> curves.apply(r).lossAt(rung.progress(), WINDOW))
                    .filter(Double::isFinite).toList());
            double margin = Math.max(Double.isFinite(spread) ? 3 * spread : 0, rung.minMargin() * ref.getAsDouble());
            out.add(new EarlyStop.Rung(rung.progress(), WINDOW, ref.getAsDouble() + margin, String.format(Locale.ROOT,
                    "the best run %s (%.4f there, plus a margin of %.4f)", st.bestRun(), ref.getAsDouble(), margin)));
        }
        return new EarlyStop(out);
    }
}
