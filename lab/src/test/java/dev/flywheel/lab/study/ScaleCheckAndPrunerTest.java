package dev.flywheel.lab.study;

import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The scale check's verdict and sizes, and the pruner's rungs, on synthetic histories and curves. */
class ScaleCheckAndPrunerTest {

    /** Baseline 2.00 ± 0.01 (σ 0.01), a kept change at 1.90; then the two scale runs with these metrics. */
    static StudyHistory scaled(Double start, Double best) {
        var h = new Histories().baseline(1.99, 2.00, 2.01).experiment("optimizer.lr", 0.002, Decision.KEEP, 1.90);
        var first = h.run(Histories.START.with("model.dim", 192), "s-001", null, Role.SCALE, null, start, null, 90.0);
        h.run(Histories.START.with("model.dim", 192).with("optimizer.lr", 0.002), "s-004", null, Role.SCALE,
                first.id(), best, null, 90.0);
        return h.get();
    }

    /** Settings with keep_sigmas 2 (the one-size check's bar); nothing is opened. */
    static StudySettings settings() {
        return TinyStudies.settings(java.nio.file.Path.of("unused"), "s", TinyStudies.brief(10, 3), "builtin", "20runs");
    }

    @Test
    void anOlderStudysOneSizeCheckIsStillJudgedAgainstTheBar() {
        // σ 0.01, k 2: the best must beat the start by more than 0.02 at the larger size
        assertThat(Conclusions.scaleVerdict(scaled(1.80, 1.77), settings()).outcome()).isEqualTo(ScaleCheck.Outcome.HELD);
        assertThat(Conclusions.scaleVerdict(scaled(1.80, 1.785), settings()).outcome()).isEqualTo(ScaleCheck.Outcome.HELD_PARTLY);
        assertThat(Conclusions.scaleVerdict(scaled(1.80, 1.80), settings()).outcome()).isEqualTo(ScaleCheck.Outcome.DID_NOT_HOLD);
        assertThat(Conclusions.scaleVerdict(scaled(1.80, 1.85), settings()).outcome()).isEqualTo(ScaleCheck.Outcome.DID_NOT_HOLD);
        assertThat(Conclusions.scaleVerdict(scaled(1.80, null), settings()).outcome()).isEqualTo(ScaleCheck.Outcome.INCONCLUSIVE);
        var held = Conclusions.scaleVerdict(scaled(1.80, 1.77), settings()).text();
        assertThat(held).startsWith("held — one size up, the best recipe scores 1.7700 against the starting recipe's 1.8000 "
                + "(-0.0300, 3.0σ; at the study's size the gain was 0.1000)");
        // no verdict until both scale runs ended
        assertThat(Conclusions.scaleVerdict(new Histories().baseline(2.0, 2.1).get(), settings())).isNull();
    }

    /** A flat training loss of {@code loss} over the whole budget, in 20 steps. */
    static Curve flat(double loss) {
        var points = new ArrayList<Curve.Point>();
        for (int i = 1; i <= 20; i++) points.add(new Curve.Point(i, i / 20.0, loss, 1e-3, 1.0));
        return new Curve(points);
    }

    @Test
    void thePrunerHoldsAnExperimentToTheBestRunsCurveWithAMargin() {
        var h = new Histories().baseline(2.00, 2.02, 1.98);
        var exp = h.queue("optimizer.lr", 0.002, Role.EXPERIMENT, 1.95).getFirst();
        var curves = new HashMap<String, Curve>(Map.of("s-001", flat(2.0), "s-002", flat(2.1), "s-003", flat(1.9)));
        var plan = Pruner.DEFAULT.plan(exp, h.get(), r -> curves.get(r.id()));
        // the best is the baseline (all three seeds, mean loss 2.0); the spread of the baseline's loss is 0.1:
        // margin max(3 · 0.1, 3% of 2.0) = 0.3 at half the budget, max(0.3, 2%) = 0.3 at three quarters
        assertThat(plan.rungs()).hasSize(2);
        assertThat(plan.rungs().get(0).progress()).isEqualTo(0.5);
        assertThat(plan.rungs().get(0).maxLoss()).isCloseTo(2.3, within(1e-9));
        assertThat(plan.rungs().get(1).maxLoss()).isCloseTo(2.3, within(1e-9));
        // with a tight baseline the minimum margin rules: 3% and 2% of the best's loss
        curves.putAll(Map.of("s-002", flat(2.0), "s-003", flat(2.0)));
        var tight = Pruner.DEFAULT.plan(exp, h.get(), r -> curves.get(r.id()));
        assertThat(tight.rungs().get(0).maxLoss()).isCloseTo(2.06, within(1e-9));
        assertThat(tight.rungs().get(1).maxLoss()).isCloseTo(2.04, within(1e-9));
    }

    @Test
    void thePrunerLeavesAloneWhatCannotBeCompared() {
        var h = new Histories().baseline(2.00, 2.02);
        Map<String, Curve> curves = Map.of("s-001", flat(2.0), "s-002", flat(2.0));
        var other = h.queue("schedule.kind", "wsd", Role.EXPERIMENT, 1.95).getFirst();
        assertThat(Pruner.DEFAULT.plan(other, h.get(), r -> curves.get(r.id())).disabled()).isTrue();
        var confirm = h.queue("optimizer.lr", 0.002, Role.CONFIRM, 1.95).getFirst();
        assertThat(Pruner.DEFAULT.plan(confirm, h.get(), r -> curves.get(r.id())).disabled()).isTrue();
        RunRecord noCurve = h.queue("optimizer.lr", 0.003, Role.EXPERIMENT, 1.95).getFirst();
        assertThat(Pruner.DEFAULT.plan(noCurve, h.get(), r -> new Curve(java.util.List.of())).disabled()).isTrue();
    }
}
