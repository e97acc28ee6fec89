package dev.flywheel.lab.study;

import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The fold from a history to where the study stands, and the history's own bookkeeping; no training. */
class StandingTest {

    @Test
    void theBaselineSetsTheFirstBestAndTheNoiseFloor() {
        var st = Standing.of(new Histories().baseline(2.00, 2.03, 1.97).get());
        assertThat(st.baselineMetric()).isCloseTo(2.00, within(1e-12));
        assertThat(st.bestMetric()).isCloseTo(2.00, within(1e-12));
        assertThat(st.baselineRun()).isEqualTo("s-001"); // the seed closest to the mean stands for the baseline
        assertThat(st.bestRun()).isEqualTo("s-001");
        assertThat(st.noise().measured()).isCloseTo(0.03, within(1e-12));
        assertThat(st.noise().dof()).isEqualTo(2);
        assertThat(st.kept()).isEmpty();
        assertThat(st.bestRecipe()).isEqualTo(Histories.START);
    }

    @Test
    void aCrashedBaselineSeedIsLeftOutOfTheMeanAndTheNoise() {
        var st = Standing.of(new Histories().baseline(2.00, null, 2.04).get());
        assertThat(st.baselineMetric()).isCloseTo(2.02, within(1e-12));
        assertThat(st.noise().dof()).isEqualTo(1);
        assertThat(st.baselineRun()).isIn("s-001", "s-003");
    }

    @Test
    void aKeptExperimentBecomesTheBestAtItsMeanAndADiscardedOneDoesNot() {
        var h = new Histories().baseline(2.00, 2.03, 1.97)
                .experiment("optimizer.lr", 0.002, Decision.DISCARD, 1.99)
                .experiment("optimizer.lr", 0.003, Decision.KEEP, 1.90, 1.92)
                .experiment("schedule.warmup", 10, Decision.DISCARD, 1.80);
        var st = Standing.of(h.get());
        assertThat(st.bestMetric()).isCloseTo(1.91, within(1e-12));
        assertThat(st.bestRun()).isEqualTo("s-005");
        assertThat(st.bestExperiment()).isEqualTo("s-005");
        assertThat(st.kept()).containsExactly("s-005");
        assertThat(st.keptLines()).singleElement().asString().contains("optimizer.lr").contains("1.9100").contains("-0.0900");
        // the best recipe carries the change under the study's base seed, not the seed of the run that stood for it
        assertThat(st.bestRecipe().optimizer().lr()).isEqualTo(0.003);
        assertThat(st.bestRecipe().seed()).isEqualTo(Histories.START.seed());
        // a decided two-seed experiment refines the noise floor: 2 baseline dof + 1
        assertThat(st.noise().dof()).isEqualTo(3);
        // what the study knew before the kept experiment: the baseline alone
        var before = Standing.of(h.get().before(5));
        assertThat(before.bestMetric()).isCloseTo(2.00, within(1e-12));
        assertThat(before.noise().dof()).isEqualTo(2);
    }

    @Test
    void aKeptExperimentWithoutACompleteRunChangesNothing() {
        var h = new Histories().baseline(2.00, 2.02);
        var r = h.run(Histories.START.with("optimizer.lr", 0.01), "s-001", null, Role.EXPERIMENT, null, 1.5, 0.5, 30.0);
        h.with(r);
        var history = h.get().withDecision(new dev.flywheel.lab.store.DecisionRecord("s", r.id(), Decision.KEEP, 1.5,
                2.01, -0.51, 0.01, "stopped early but recorded as kept", null));
        var st = Standing.of(history);
        assertThat(st.bestMetric()).isCloseTo(2.01, within(1e-12));
        assertThat(st.kept()).isEmpty();
    }

    @Test
    void undecidedRunsArePendingAndDoNotCountForTheNoise() {
        var h = new Histories().baseline(2.00, 2.02);
        h.queue("optimizer.lr", 0.002, Role.EXPERIMENT, 1.99, 1.95);
        var history = h.get();
        assertThat(history.pendingExperiments()).containsExactly("s-003");
        assertThat(Standing.of(history).noise().dof()).isEqualTo(1);
        assertThat(history.trials()).containsOnlyKeys("s-001", "s-003");
        assertThat(history.trial("s-003")).hasSize(2);
        assertThat(history.endedRuns()).isEqualTo(4);
    }

    @Test
    void aRunRecordedAgainReplacesItselfInOrder() {
        var h = new Histories().baseline(2.00, 2.02);
        var first = h.get().runs().getFirst();
        var again = new dev.flywheel.lab.store.RunRecord(first.id(), first.study(), first.ordinal(), first.recipeJson(),
                first.recipeHash(), null, null, first.proposer(), first.hypothesis(), first.status(), 2, 1.5, 1.6,
                first.steps(), first.tokens(), first.trainSeconds(), first.queuedAt(), first.startedAt(),
                first.finishedAt(), null, null, first.experiment(), first.role(), null);
        var history = h.get().withRun(again);
        assertThat(history.runs()).extracting(dev.flywheel.lab.store.RunRecord::id).containsExactly("s-001", "s-002");
        assertThat(history.runs().getFirst().testMetric()).isEqualTo(1.6);
    }
}
