package dev.flywheel.lab.guard;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventAction;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The remediation rules and the forensic verdict on plain values. Default policy: snapshots every 25 steps,
 * at most 8 roll-backs in 200 batches.
 */
class RemedyTest {

    static final Recipe.Guard POLICY = Recipe.defaults().guard();

    @Test
    void aBadBatchOrATransientFaultIsSkippedAndBadWeightsAreRolledBack() {
        var r = new Remedy(POLICY);
        assertThat(r.decide(100, 100, Cause.DATA, 75, false)).isEqualTo(EventAction.SKIP);
        assertThat(r.decide(110, 110, Cause.NOT_REPRODUCED, 100, false)).isEqualTo(EventAction.SKIP);
        assertThat(r.rollbacks()).isZero();
        assertThat(r.decide(300, 300, Cause.OPTIMIZER, 275, false)).isEqualTo(EventAction.ROLLBACK);
        assertThat(r.decide(600, 601, Cause.NUMERICAL, 575, false)).isEqualTo(EventAction.ROLLBACK);
        assertThat(r.decide(900, 902, Cause.UNKNOWN, 875, false)).isEqualTo(EventAction.ROLLBACK);
        assertThat(r.rollbacks()).isEqualTo(3);
        // with no snapshot to go back to, dropping the batch is all that can be done
        assertThat(new Remedy(POLICY).decide(40, 40, Cause.OPTIMIZER, -1, false)).isEqualTo(EventAction.SKIP);
    }

    @Test
    void aSpikeSoonAfterARollbackAlsoCutsTheLearningRate() {
        var r = new Remedy(POLICY);
        assertThat(r.decide(310, 310, Cause.OPTIMIZER, 300, false)).isEqualTo(EventAction.ROLLBACK);
        // within 2 × 25 steps of the snapshot rolled back to (300): recurring
        assertThat(r.decide(350, 360, Cause.OPTIMIZER, 325, false)).isEqualTo(EventAction.ROLLBACK_LR_CUT);
        // 51 steps after that roll-back's snapshot (325): not recurring
        assertThat(r.decide(376, 390, Cause.OPTIMIZER, 350, false)).isEqualTo(EventAction.ROLLBACK);
        assertThat(r.decide(400, 420, Cause.OPTIMIZER, 375, false)).isEqualTo(EventAction.ROLLBACK_LR_CUT);
    }

    @Test
    void divergenceAlwaysCutsTheLearningRate() {
        assertThat(new Remedy(POLICY).decide(500, 500, Cause.OPTIMIZER, 475, true)).isEqualTo(EventAction.ROLLBACK_LR_CUT);
        assertThat(new Remedy(POLICY).decide(500, 500, Cause.DATA, 475, true)).isEqualTo(EventAction.SKIP);
    }

    @Test
    void tooManyRollbacksInTheWindowAbort() {
        var r = new Remedy(POLICY);
        for (int i = 1; i <= 8; i++) assertThat(r.decide(1000 + 60L * i, 1000 + 20L * i, Cause.OPTIMIZER, 990 + 60L * i, false))
                .isNotEqualTo(EventAction.ABORT);
        assertThat(r.decide(1600, 1180, Cause.OPTIMIZER, 1590, false)).isEqualTo(EventAction.ABORT);
        // the same nine spread over more than 200 batches never abort
        var spread = new Remedy(POLICY);
        for (int i = 1; i <= 20; i++) assertThat(spread.decide(1000 + 60L * i, 1000 + 30L * i, Cause.OPTIMIZER,
                990 + 60L * i, false)).isNotEqualTo(EventAction.ABORT);
    }

    @Test
    void skippingMoreThanAQuarterOfTheBatchesAborts() {
        var r = new Remedy(POLICY);
        for (int i = 0; i < 50; i++) assertThat(r.decide(i * 2, i * 2, Cause.DATA, -1, false)).isEqualTo(EventAction.SKIP);
        assertThat(r.decide(100, 100, Cause.DATA, -1, false)).isEqualTo(EventAction.ABORT);
        // one in five does not
        var sparse = new Remedy(POLICY);
        for (int i = 0; i < 200; i++) assertThat(sparse.decide(i * 5, i * 5, Cause.DATA, -1, false)).isEqualTo(EventAction.SKIP);
    }

    @Test
    void snapshotsAreTakenOnScheduleAndOnlyAfterQuietSteps() {
        var r = new Remedy(POLICY);
        assertThat(r.snapshotDue(25)).isTrue();
        assertThat(r.snapshotDue(26)).isFalse();
        r.decide(48, 48, Cause.DATA, 25, false);
        assertThat(r.snapshotDue(50)).as("2 steps after an anomaly").isFalse();
        r.observed(71);
        assertThat(r.snapshotDue(75)).as("4 steps after one").isTrue();
    }

    @Test
    void theCauseComesFromReplayingTheBatchOnTheSnapshot() {
        // level 2.0, deviation 0.1, spike at z 6: half of it (3 deviations, a loss of 2.3) counts as a spike
        assertThat(Cause.of(3.0, 2.9, 2.0, 0.1, 6)).isEqualTo(Cause.DATA);
        assertThat(Cause.of(3.0, 2.05, 2.0, 0.1, 6)).isEqualTo(Cause.OPTIMIZER);
        assertThat(Cause.of(2.05, 2.1, 2.0, 0.1, 6)).isEqualTo(Cause.NOT_REPRODUCED);
        assertThat(Cause.of(2.29, 2.31, 2.0, 0.1, 6)).isEqualTo(Cause.DATA);
        assertThat(Cause.of(2.31, 2.29, 2.0, 0.1, 6)).isEqualTo(Cause.OPTIMIZER);
        assertThat(Cause.of(Double.NaN, 2.0, 2.0, 0.1, 6)).isEqualTo(Cause.NUMERICAL);
        assertThat(Cause.of(3.0, Double.NaN, 2.0, 0.1, 6)).isEqualTo(Cause.UNKNOWN);
        assertThat(Cause.DATA.weightsAtFault()).isFalse();
        assertThat(Cause.NOT_REPRODUCED.weightsAtFault()).isFalse();
        assertThat(Cause.OPTIMIZER.weightsAtFault()).isTrue();
    }
}
