package dev.flywheel.lab.study;

import dev.flywheel.lab.study.KeepRule.Kind;
import dev.flywheel.lab.run.Outcome;
import dev.flywheel.lab.study.KeepRule.Run;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The keep/discard rule and the noise floor it measures against. */
class KeepRuleTest {

    static Run finished(double metric) {
        return Run.finished(metric);
    }

    @Test
    void keepsOnlyWhatBeatsTheBestByMoreThanKSigmas() {
        // best 2.00, σ 0.01, k 2: the bar is 0.02 and a close call is within one more σ of it
        assertThat(KeepRule.decide(2.00, 0.01, 2, List.of(finished(1.95)), true).kind()).isEqualTo(Kind.KEEP);
        assertThat(KeepRule.decide(2.00, 0.01, 2, List.of(finished(1.985)), true).kind()).isEqualTo(Kind.DISCARD);
        assertThat(KeepRule.decide(2.00, 0.01, 2, List.of(finished(2.03)), true).kind()).isEqualTo(Kind.DISCARD);
        var close = KeepRule.decide(2.00, 0.01, 2, List.of(finished(1.975)), true);
        assertThat(close.kind()).isEqualTo(Kind.CONFIRM);
        assertThat(close.sigmas()).isCloseTo(2.5, within(1e-9));
        assertThat(close.rationale()).contains("close call").contains("2.5σ better");
        // without a run left to confirm with, a close call is not kept
        assertThat(KeepRule.decide(2.00, 0.01, 2, List.of(finished(1.975)), false).kind()).isEqualTo(Kind.DISCARD);
    }

    @Test
    void aConfirmedCloseCallIsJudgedOnTheMeanOfItsSeeds() {
        var held = KeepRule.decide(2.00, 0.01, 2, List.of(finished(1.975), finished(1.972)), false);
        assertThat(held.kind()).isEqualTo(Kind.KEEP);
        assertThat(held.mean()).isCloseTo(1.9735, within(1e-12));
        var faded = KeepRule.decide(2.00, 0.01, 2, List.of(finished(1.975), finished(1.995)), true);
        assertThat(faded.kind()).isEqualTo(Kind.DISCARD);
        assertThat(faded.rationale()).contains("mean of 2 seeds").contains("does not clear");
    }

    @Test
    void failedAndStoppedRunsAreDiscardedResults() {
        var crashed = KeepRule.decide(2.0, 0.01, 2, List.of(new Run(new Outcome.Crashed("out of memory"), null)), true);
        assertThat(crashed.kind()).isEqualTo(Kind.DISCARD);
        assertThat(crashed.rationale()).startsWith("crashed: out of memory");
        var diverged = KeepRule.decide(2.0, 0.01, 2, List.of(finished(1.9), new Run(new Outcome.Diverged(null), null)), true);
        assertThat(diverged.kind()).isEqualTo(Kind.DISCARD);
        var stopped = KeepRule.decide(2.0, 0.01, 2, List.of(new Run(new Outcome.StoppedEarly(0.5, "successive halving"), 2.4)), true);
        assertThat(stopped.kind()).isEqualTo(Kind.DISCARD);
        assertThat(stopped.rationale()).contains("stopped early at 50%");
    }

    @Test
    void theNoiseFloorPoolsSeedGroupsAndNeverFallsBelowItsFloor() {
        // two groups: {1, 3} (s² = 2) and {2, 2, 5} (s² = 3): pooled σ² = (1·2 + 2·3) / 3
        var e = NoiseFloor.estimate(List.of(List.of(1.0, 3.0), List.of(2.0, 2.0, 5.0), List.of(7.0)), 100);
        assertThat(e.dof()).isEqualTo(3);
        assertThat(e.measured()).isCloseTo(Math.sqrt(8.0 / 3), within(1e-12));
        assertThat(e.used()).isEqualTo(e.measured());
        var tight = NoiseFloor.estimate(List.of(List.of(2.0, 2.0, 2.0)), 2.0);
        assertThat(tight.measured()).isZero();
        assertThat(tight.used()).isCloseTo(NoiseFloor.MIN_RELATIVE * 2.0, within(1e-15));
        var none = NoiseFloor.estimate(List.of(List.of(2.0)), 2.0);
        assertThat(none.dof()).isZero();
        assertThat(none.measured()).isNaN();
        assertThat(none.used()).isCloseTo(NoiseFloor.UNMEASURED_RELATIVE * 2.0, within(1e-15));
        assertThat(NoiseFloor.std(List.of(1.0, 2.0, 3.0))).isCloseTo(1.0, within(1e-12));
    }
}
