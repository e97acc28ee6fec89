package dev.flywheel.lab.guard;

/**
 * What replaying a spiking step found to blame (Forensics). The {@link #id()} is the {@code cause} value of the
 * event and what {@code doctor} reads.
 */
public enum Cause {
    /** the batch spikes on the earlier snapshot too: the data is at fault */
    DATA("data"),
    /** the batch is normal on the earlier snapshot: the recent optimizer trajectory is at fault */
    OPTIMIZER("optimizer"),
    /** neither replay spikes: a transient numerical fault */
    NOT_REPRODUCED("not-reproduced"),
    /** the replay is non-finite too: the weights or the batch give non-finite values */
    NUMERICAL("numerical"),
    /** no snapshot to compare with */
    UNKNOWN("unknown");

    private final String id;

    Cause(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Whether the weights (not this batch, nor a transient fault) need restoring. */
    public boolean weightsAtFault() {
        return this != DATA && this != NOT_REPRODUCED;
    }

    /**
     * The cause from the replayed losses of the step's batch.
     *
     * @param replayLoss   on the current weights
     * @param snapshotLoss on the snapshot's weights, NaN when there is no snapshot
     * @param typical      the loss's level before the step
     * @param scale        the loss's typical deviation
     * @param spikeZ       how many deviations make a spike; half of it counts as reproduced
     */
    public static Cause of(double replayLoss, double snapshotLoss, double typical, double scale, double spikeZ) {
        if (!Double.isFinite(replayLoss)) return NUMERICAL;
        if (Double.isNaN(snapshotLoss)) return UNKNOWN;
        double zOld = (snapshotLoss - typical) / Math.max(scale, 1e-6);
        double zNow = (replayLoss - typical) / Math.max(scale, 1e-6);
        if (zNow < spikeZ / 2 && zOld < spikeZ / 2) return NOT_REPRODUCED;
        return zOld >= spikeZ / 2 ? DATA : OPTIMIZER;
    }
}
