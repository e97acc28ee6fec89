package dev.flywheel.lab.study;

import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The decision procedure over synthetic histories: what the study records for the baseline and an experiment. */
class DecisionPolicyTest {

    @Test
    void theBaselineKeepsEveryFinishedSeedAndSaysWhyAFailedOneIsLeftOut() {
        var h = new Histories().baseline(2.00, null, 2.04).get();
        var ds = DecisionPolicy.baseline("s", h.runsOf(Role.BASELINE));
        assertThat(ds).extracting(d -> d.decision()).containsExactly(Decision.KEEP, Decision.DISCARD, Decision.KEEP);
        assertThat(ds.getFirst().rationale()).contains("baseline seed 1 of 3").contains("mean 2.0200 over 2 seeds");
        assertThat(ds.get(1).rationale()).isEqualTo("baseline seed 2 crashed: boom; the noise floor is measured on the seeds that finished");
        assertThat(ds.getFirst().noiseFloor()).isCloseTo(0.028284271, within(1e-8));
    }

    @Test
    void anExperimentIsJudgedAgainstTheStandingBeforeItAndRecordedOnEveryRun() {
        var h = new Histories().baseline(1.99, 2.00, 2.01); // best 2.00, σ 0.01
        var runs = h.queue("optimizer.lr", 0.002, Role.EXPERIMENT, 1.96, 1.95);
        var before = Standing.of(h.get().before(runs.getFirst().ordinal()));
        var verdict = DecisionPolicy.experiment(before, runs, 2, true);
        assertThat(verdict.kind()).isEqualTo(KeepRule.Kind.KEEP);
        var records = DecisionPolicy.records("s", runs, before, verdict);
        assertThat(records).hasSize(2).allSatisfy(d -> {
            assertThat(d.decision()).isEqualTo(Decision.KEEP);
            assertThat(d.bestBefore()).isCloseTo(2.00, within(1e-12));
            assertThat(d.noiseFloor()).isCloseTo(0.01, within(1e-12));
        });
        assertThat(records.get(1).delta()).isCloseTo(-0.05, within(1e-12));
    }

    @Test
    void aCloseCallAsksForAnotherSeedOnlyWhileOneFits() {
        var h = new Histories().baseline(1.99, 2.00, 2.01);
        var runs = h.queue("optimizer.lr", 0.002, Role.EXPERIMENT, 1.975);
        var before = Standing.of(h.get().before(runs.getFirst().ordinal()));
        assertThat(DecisionPolicy.experiment(before, runs, 2, true).kind()).isEqualTo(KeepRule.Kind.CONFIRM);
        assertThat(DecisionPolicy.experiment(before, runs, 2, false).kind()).isEqualTo(KeepRule.Kind.DISCARD);
        assertThatThrownBy(() -> DecisionPolicy.records("s", runs, before, DecisionPolicy.experiment(before, runs, 2, true)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
