package dev.flywheel.lab.study;

import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The replication's rules on synthetic histories: leave-one-out recipes, fresh seeds, the plan and the report. */
class ReplicationTest {

    private static Histories twoKept() {
        return new Histories().baseline(2.00, 2.02, 1.98)
                .experiment("optimizer.lr", 0.002, Decision.KEEP, 1.90)
                .experiment("schedule.warmup", 0, Decision.DISCARD, 1.95)
                .experiment("model.norm", "rmsnorm", Decision.KEEP, 1.85);
    }

    @Test
    void eachKeptChangeIsPutBackToItsValueBeforeItWasKept() {
        var h = twoKept().get();
        var best = Standing.of(h).bestRecipe();
        var ablations = LeaveOneOut.of(h);
        assertThat(ablations).hasSize(2);
        var lr = ablations.get(0);
        assertThat(lr.change()).isEqualTo("optimizer.lr=0.002");
        assertThat(lr.revert()).isEqualTo(Change.of("optimizer.lr", 0.001));
        assertThat(lr.recipe()).isEqualTo(best.with("optimizer.lr", 0.001));
        assertThat(lr.recipe().get("model.norm")).isEqualTo("rmsnorm");
        var norm = ablations.get(1);
        assertThat(norm.recipe()).isEqualTo(best.with("model.norm", "layernorm"));
        assertThat(norm.recipe().get("optimizer.lr")).isEqualTo(0.002);
        assertThat(norm.problem()).isNull();
    }

    @Test
    void aRevertThatMakesTheRecipeInvalidIsReportedNotRun() {
        // 192 wide with 4 heads, then 6 heads (32 each): without the width, 128 does not split into 6 heads
        var h = new Histories().baseline(2.00, 2.02, 1.98)
                .experiment("model.dim", 192, Decision.KEEP, 1.90)
                .experiment("model.heads", 6, Decision.KEEP, 1.85).get();
        var ablations = LeaveOneOut.of(h);
        assertThat(ablations.get(0).recipe()).isNull();
        assertThat(ablations.get(0).problem()).startsWith("without it the recipe is invalid");
        assertThat(ablations.get(1).recipe()).isNotNull();
        assertThat(ablations.get(1).recipe().get("model.heads")).isEqualTo(4L);
    }

    @Test
    void aChangeALaterKeepUndidHasNothingToRun() {
        var h = new Histories().baseline(2.00, 2.02, 1.98)
                .experiment("optimizer.lr", 0.002, Decision.KEEP, 1.90)
                .experiment("optimizer.lr", 0.001, Decision.KEEP, 1.85).get();
        var ablations = LeaveOneOut.of(h);
        assertThat(ablations.get(0).recipe()).isNull();
        assertThat(ablations.get(0).problem()).contains("already put its settings back");
    }

    @Test
    void freshSeedsComeAfterEverySeedTheSearchUsedAndReplicationsReuseTheirOwn() {
        var b = twoKept();
        // baseline seeds 0..2, one-seed experiments on seed 0: the next fresh index is 3
        assertThat(Replication.freshSeeds(b.get(), 3)).containsExactly(3, 4, 5);
        b.run(b.get().withSeed(Histories.START, 3), null, null, Role.REPLICATION, null, 2.0, null, 60.0);
        assertThat(Replication.freshSeeds(b.get(), 2)).containsExactly(3, 4);
    }

    @Test
    void thePlanRunsEachDistinctRecipeOnEverySeedSeedBySeed() {
        var h = twoKept().get();
        var plan = Replication.plan(h, 2);
        assertThat(plan.recipes()).hasSize(4); // start, best, best without lr, best without rmsnorm
        var runs = plan.runs(h);
        assertThat(runs).hasSize(8);
        assertThat(runs.subList(0, 4)).allSatisfy(r -> assertThat(r.seed()).isEqualTo(Histories.START.seed() + 3));
        assertThat(Replication.missing(h, plan)).isEqualTo(8);

        // one kept change: the best without it is the start, so they share their runs
        var one = new Histories().baseline(2.00, 2.02, 1.98).experiment("optimizer.lr", 0.002, Decision.KEEP, 1.9).get();
        assertThat(Replication.plan(one, 3).recipes()).hasSize(2);
    }

    @Test
    void theReportPairsTheArmsSeedBySeed() {
        var b = twoKept();
        var plan = Replication.plan(b.get(), 3);
        var metrics = List.of(
                new double[]{2.00, 1.80, 1.90, 1.85}, // seed 3: start, best, without lr, without rmsnorm
                new double[]{2.04, 1.82, 1.95, 1.83},
                new double[]{1.99, 1.81, 1.91, 1.84});
        for (int s = 0; s < 3; s++)
            for (int a = 0; a < 4; a++) {
                var r = b.run(b.get().withSeed(plan.recipes().get(a), plan.seeds().get(s)), null, null, Role.REPLICATION,
                        null, metrics.get(s)[a], null, 60.0);
                b.with(withTest(r, metrics.get(s)[a] + 0.1));
            }
        assertThat(Replication.missing(b.get(), plan)).isZero();
        var report = Replication.report(b.get(), plan, "s", "val_bpb");
        assertThat(report.gain().seeds()).isEqualTo(3);
        assertThat(report.gain().gain()).isCloseTo((0.20 + 0.22 + 0.18) / 3, within(1e-12));
        assertThat(report.testGain().gain()).isCloseTo(report.gain().gain(), within(1e-12));
        assertThat(report.ablations()).extracting(a -> a.delta().gain())
                .satisfiesExactly(d -> assertThat(d).isCloseTo((0.10 + 0.13 + 0.10) / 3, within(1e-12)),
                        d -> assertThat(d).isCloseTo((0.05 + 0.01 + 0.03) / 3, within(1e-12)));
        var json = report.toMap(true);
        assertThat(json).containsKeys("gain_bpb", "gain_ci", "test_gain_bpb", "test_gain_ci", "ablations");
        assertThat(report.table()).contains("| without optimizer.lr=0.002 | +0.1100 |");
        assertThat(report.toMap(false)).doesNotContainKeys("test_gain_bpb", "test_gain_ci", "best_test_bpb");
    }

    @Test
    void theEndOfAStudyReplicatesOnFiveSeedsThreeOrNoneAsItsBudgetAllows() {
        var b = twoKept(); // 6 runs; 4 recipes to replicate
        assertThat(Replication.endSeeds(b.get(), runs(26), 0)).isEqualTo(5);  // 6 + 20
        assertThat(Replication.endSeeds(b.get(), runs(25), 0)).isEqualTo(3);  // 6 + 12 fit, 6 + 20 do not
        assertThat(Replication.endSeeds(b.get(), runs(17), 0)).isZero();      // not even 12 more
        // a resumed end finds its 3 seeds queued: no room is needed to finish them
        var plan = Replication.plan(b.get(), 3);
        for (var r : plan.runs(b.get())) b.run(r, null, null, Role.REPLICATION, null, 1.9, null, 60.0);
        assertThat(Replication.endSeeds(b.get(), runs(18), 0)).isEqualTo(3);
    }

    private static StudyBudgetPolicy runs(int n) {
        return new StudyBudgetPolicy(new dev.flywheel.lab.budget.StudyBudget.Runs(n),
                new dev.flywheel.lab.budget.RunBudget.Steps(100), 1, StudyBudgetPolicyTest.TWO);
    }

    private static dev.flywheel.lab.store.RunRecord withTest(dev.flywheel.lab.store.RunRecord r, double test) {
        return new dev.flywheel.lab.store.RunRecord(r.id(), r.study(), r.ordinal(), r.recipeJson(), r.recipeHash(),
                r.parent(), r.changeJson(), r.proposer(), r.hypothesis(), r.status(), r.attempts(), r.metric(), test,
                r.steps(), r.tokens(), r.trainSeconds(), r.queuedAt(), r.startedAt(), r.finishedAt(), r.checkpointPath(),
                r.error(), r.experiment(), r.role(), r.stoppedAt());
    }
}
