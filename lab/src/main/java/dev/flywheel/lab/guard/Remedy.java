package dev.flywheel.lab.guard;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventAction;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The guard's remediation rules (docs/guard.md), fed plain values: what to do about an anomaly given its cause
 * and the last snapshot, and when a state is healthy enough to snapshot.
 *
 * <ul>
 * <li>the batch at fault, or a transient fault, or no snapshot: drop this batch's update ({@code skip});</li>
 * <li>the weights at fault: roll back to the snapshot and skip the batches since ({@code rollback}); a spike
 * within 2 × {@code guard.snapshot_every} steps of the previous roll-back's snapshot, or divergence, also cuts
 * the learning rate ({@code rollback+lr-cut});</li>
 * <li>skipping that does not help — more than {@code guard.snapshot_every} batches skipped in a row (as many as a
 * roll-back would lose), or more than a quarter of the last {@value #WINDOW} batches skipped — escalates to a
 * roll-back with a learning-rate cut ({@code rollback+lr-cut}): a run whose every batch now looks bad has hurt
 * weights, whatever the replays said, and a skip never changes the weights (issue 22);</li>
 * <li>only when roll-backs fail too — more than {@code guard.max_rollbacks} of them within {@value #WINDOW}
 * batches — or skipping fails with no snapshot to go back to: {@code abort}.</li>
 * </ul>
 */
public final class Remedy {

    /** Batches over which remediations are counted for the abort rule. */
    public static final int WINDOW = 200;
    /** Quiet steps after an anomaly before a state is snapshotted. */
    static final int QUIET = 3;

    private final Recipe.Guard policy;
    /** Data positions of recent roll-backs and of recently skipped batches. */
    private final ArrayDeque<Long> rollbackSteps = new ArrayDeque<>(), skipSteps = new ArrayDeque<>();
    private long lastRollbackStep = Long.MIN_VALUE / 2;
    private long lastAnomalyStep = Long.MIN_VALUE / 2;
    private int rollbacks;
    /** Batches skipped at consecutive data positions (no update in between), ending at {@code lastSkipDataStep}. */
    private int skipsInRow;
    private long lastSkipDataStep = Long.MIN_VALUE / 2;

    public Remedy(Recipe.Guard policy) {
        this.policy = policy;
    }

    /**
     * The action for an anomaly at optimizer step {@code step} and data position {@code dataStep}.
     *
     * @param snapshotStep the optimizer step of the last snapshot, or -1 if there is none
     * @param diverging    the anomaly is divergence: a roll-back always cuts the learning rate
     */
    public EventAction decide(long step, long dataStep, Cause cause, long snapshotStep, boolean diverging) {
        lastAnomalyStep = step;
        for (var q : List.of(rollbackSteps, skipSteps)) {
            while (!q.isEmpty() && q.peekFirst() < dataStep - WINDOW) q.removeFirst();
        }
        boolean canRollBack = snapshotStep >= 0;
        boolean skipsFailed = false;
        if (!cause.weightsAtFault() || !canRollBack) {
            // a skip (with no snapshot to go back to, dropping the batch is all there is) — unless skipping has
            // already failed to bring the loss back
            skipsInRow = dataStep == lastSkipDataStep + 1 ? skipsInRow + 1 : 1;
            lastSkipDataStep = dataStep;
            skipsFailed = skipsInRow > policy.snapshotEvery() || skipSteps.size() + 1 > WINDOW / 4;
            if (!skipsFailed || !canRollBack) {
                skipSteps.addLast(dataStep);
                return skipsFailed ? EventAction.ABORT : EventAction.SKIP;
            }
        }
        rollbackSteps.addLast(dataStep);
        if (rollbackSteps.size() > policy.maxRollbacks()) return EventAction.ABORT;
        boolean recurring = step - lastRollbackStep <= 2L * policy.snapshotEvery();
        rollbacks++;
        lastRollbackStep = snapshotStep;
        // a run of skips ends with a roll-back; the skip rate does not forget (data that stays bad after a roll-back
        // escalates again at once, and roll-backs that keep failing abort)
        skipsInRow = 0;
        lastSkipDataStep = Long.MIN_VALUE / 2;
        return recurring || diverging || skipsFailed ? EventAction.ROLLBACK_LR_CUT : EventAction.ROLLBACK;
    }

    /** Records an anomaly that is not remediated (policy detect): it still delays the next snapshot. */
    public void observed(long step) {
        lastAnomalyStep = step;
    }

    /** Whether the state after optimizer step {@code step} should be snapshotted: on schedule and quiet. */
    public boolean snapshotDue(long step) {
        return step % policy.snapshotEvery() == 0 && step - lastAnomalyStep > QUIET;
    }

    public int rollbacks() {
        return rollbacks;
    }

    /** Roll-backs and skipped batches counted in the last {@value #WINDOW} batches, for the abort message. */
    public String window() {
        return rollbackSteps.size() + " roll-backs and " + skipSteps.size() + " skipped batches in the last " + WINDOW
                + " batches";
    }
}
