package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** What the study budget allows, on synthetic histories. */
class StudyBudgetPolicyTest {

    static StudyBudgetPolicy runs(int n, boolean scale) {
        return new StudyBudgetPolicy(new StudyBudget.Runs(n), new RunBudget.Steps(100), 1, scale ? TWO : null);
    }

    /** A scale check of two runs of a study run's cost each (the size of the one-size check of older studies). */
    static final java.util.function.Function<StudyHistory, ScalePlan.Cost> TWO = h -> new ScalePlan.Cost(2, 2);

    @Test
    void aTimeBudgetHoldsBackTheScaleChecksWallTimeInStudyRunsOnceAChangeIsKept() {
        var h = new Histories().baseline(2.00, 2.02, 1.98).experiment("optimizer.lr", 0.002, Decision.KEEP, 1.90);
        // runs of 60 s; the check is 16 runs worth 48 study runs: 2880 s held back, plus the experiment's 60 s
        var p = new StudyBudgetPolicy(new StudyBudget.Time(Duration.ofSeconds(10_000)), new RunBudget.Seconds(30), 1,
                x -> new ScalePlan.Cost(16, 48));
        assertThat(p.canAfford(h.get(), 10_000 - 2940, 1, false, false)).isTrue();
        assertThat(p.canAfford(h.get(), 10_000 - 2939, 1, false, false)).isFalse();
        // at the end the check pays for itself alone
        assertThat(p.canAffordScale(h.get(), 10_000 - 2880, new ScalePlan.Cost(16, 48))).isTrue();
        assertThat(p.canAffordScale(h.get(), 10_000 - 2879, new ScalePlan.Cost(16, 48))).isFalse();
        // a runs budget holds back its 16 runs
        var r = new StudyBudgetPolicy(new StudyBudget.Runs(32), new RunBudget.Steps(100), 1, x -> new ScalePlan.Cost(16, 48));
        assertThat(r.canAfford(h.get(), 0, 12, false, false)).isTrue();
        assertThat(r.canAfford(h.get(), 0, 13, false, false)).isFalse();
    }

    @Test
    void aStudyTooShortForItsEndHoldsNothingBack() {
        var h = new Histories().baseline(2.00, 2.02, 1.98).experiment("optimizer.lr", 0.002, Decision.KEEP, 1.90);
        var end = new ScalePlan.Cost(16, 48);
        // 16 runs of a 21-run budget: more than half, so the search may use every run (the end is skipped later)
        var r = new StudyBudgetPolicy(new StudyBudget.Runs(21), new RunBudget.Steps(100), 1, x -> end);
        assertThat(r.withinHalf(h.get(), end)).isFalse();
        assertThat(r.canAfford(h.get(), 0, 17, false, false)).isTrue();
        assertThat(r.canAfford(h.get(), 0, 18, false, false)).isFalse();
        // 48 study runs of 60 s against 5,000 s: more than half of it
        var t = new StudyBudgetPolicy(new StudyBudget.Time(Duration.ofSeconds(5_000)), new RunBudget.Seconds(30), 1, x -> end);
        assertThat(t.withinHalf(h.get(), end)).isFalse();
        assertThat(t.canAfford(h.get(), 5_000 - 60, 1, false, false)).isTrue();
        // and at 6,000 s it is within half, so it is held back
        var u = new StudyBudgetPolicy(new StudyBudget.Time(Duration.ofSeconds(6_000)), new RunBudget.Seconds(30), 1, x -> end);
        assertThat(u.withinHalf(h.get(), end)).isTrue();
        assertThat(u.canAfford(h.get(), 6_000 - 60, 1, false, false)).isFalse();
    }

    @Test
    void aRunsBudgetCountsQueuedRunsAndHoldsTwoBackForTheScaleCheckOnceAChangeIsKept() {
        var h = new Histories().baseline(2.00, 2.02, 1.98).experiment("optimizer.lr", 0.002, Decision.DISCARD, 2.01);
        // 4 runs of 8 used; nothing kept, so no reserve
        assertThat(runs(8, true).canAfford(h.get(), 0, 4, false, false)).isTrue();
        assertThat(runs(8, true).canAfford(h.get(), 0, 5, false, false)).isFalse();
        h.experiment("optimizer.lr", 0.003, Decision.KEEP, 1.90);
        // 5 used, a keep: 1 more experiment plus the 2 reserved fill 8
        assertThat(runs(8, true).canAfford(h.get(), 0, 1, false, false)).isTrue();
        assertThat(runs(8, true).canAfford(h.get(), 0, 2, false, false)).isFalse();
        // without a scale check nothing is reserved; the conclusion may spend the reserve
        assertThat(runs(8, false).canAfford(h.get(), 0, 3, false, false)).isTrue();
        assertThat(runs(8, true).canAfford(h.get(), 0, 3, true, true)).isTrue();
        // once the study is concluding, no experiment fits however much is left
        assertThat(runs(100, true).canAfford(h.get(), 0, 1, false, true)).isFalse();
        assertThat(runs(8, true).runsLeft(h.get())).isEqualTo(3);
    }

    @Test
    void aTimeBudgetChargesTheMedianRunInRoundsOfConcurrentRuns() {
        var h = new Histories();
        h.run(Histories.START, null, null, Role.BASELINE, null, 2.0, null, 50.0);
        h.run(Histories.START, null, null, Role.BASELINE, "s-001", 2.0, null, 70.0);
        h.run(Histories.START, null, null, Role.BASELINE, "s-001", 2.0, null, 60.0);
        h.run(Histories.START, null, null, Role.SCALE, null, 2.0, null, 900.0);           // scale runs are bigger: left out
        h.run(Histories.START, null, null, Role.EXPERIMENT, null, 2.0, 0.5, 5.0);         // stopped early: left out
        var one = new StudyBudgetPolicy(new StudyBudget.Time(Duration.ofSeconds(1000)), new RunBudget.Seconds(30), 1, null);
        assertThat(one.estimatedRunSeconds(h.get())).isEqualTo(60.0);
        assertThat(one.canAfford(h.get(), 880, 2, false, false)).isTrue();   // 120 s left, two runs of 60 s
        assertThat(one.canAfford(h.get(), 881, 2, false, false)).isFalse();
        var two = new StudyBudgetPolicy(new StudyBudget.Time(Duration.ofSeconds(1000)), new RunBudget.Seconds(30), 2, null);
        assertThat(two.canAfford(h.get(), 940, 2, false, false)).isTrue();   // two runs side by side take one round
        assertThat(two.canAfford(h.get(), 941, 2, false, false)).isFalse();
        assertThat(one.leftSeconds(900)).isEqualTo(100.0);
    }

    @Test
    void beforeAnyRunTheEstimateComesFromTheRunBudget() {
        var empty = StudyHistory.empty(Histories.START);
        assertThat(new StudyBudgetPolicy(new StudyBudget.Runs(3), new RunBudget.Seconds(30), 1, TWO)
                .estimatedRunSeconds(empty)).isEqualTo(48.0);
        assertThat(runs(3, true).estimatedRunSeconds(empty)).isEqualTo(120.0);
    }
}
