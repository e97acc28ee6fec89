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
     * The cause from the replayed losses of the step's batch. Each replay is judged against the loss's level and
     * spread <em>of its own weights' time</em>: the current replay against the statistics before the spike, the
     * snapshot's replay against the statistics kept with the snapshot. Early in training the loss falls fast, so
     * a batch that is ordinary for the snapshot's weights can be far above today's level; judging it against
     * today's level blamed the data for a step that had hurt the weights (issue 22).
     *
     * <p>The batch is blamed ({@link #DATA}) only when it spikes on the snapshot too <em>and</em> that explains at
     * least half of today's excess; a batch that is somewhat high on the snapshot but far worse on today's weights
     * has hurt weights behind it, and those are what a skip cannot mend.
     *
     * @param replayLoss    on the current weights
     * @param snapshotLoss  on the snapshot's weights, NaN when there is no snapshot
     * @param typical       the loss's level before the step
     * @param scale         the loss's typical deviation before the step
     * @param snapshotLevel the loss's level when the snapshot was taken (NaN if unknown: judged against today's)
     * @param snapshotScale the loss's typical deviation when the snapshot was taken
     * @param spikeZ        how many deviations make a spike; half of it counts as reproduced
     */
    public static Cause of(double replayLoss, double snapshotLoss, double typical, double scale, double snapshotLevel,
                           double snapshotScale, double spikeZ) {
        if (!Double.isFinite(replayLoss)) return NUMERICAL;
        if (Double.isNaN(snapshotLoss)) return UNKNOWN;
        if (!Double.isFinite(snapshotLevel) || !Double.isFinite(snapshotScale)) {
            snapshotLevel = typical;
            snapshotScale = scale;
        }
        double excessNow = replayLoss - typical, excessOld = snapshotLoss - snapshotLevel;
        double zNow = excessNow / Math.max(scale, 1e-6);
        double zOld = excessOld / Math.max(snapshotScale, 1e-6);
        if (zNow < spikeZ / 2 && zOld < spikeZ / 2) return NOT_REPRODUCED;
        boolean batchBad = zOld >= spikeZ / 2 && excessOld >= 0.5 * excessNow;
        return batchBad ? DATA : OPTIMIZER;
    }

    /** The cause with both replays judged against the same statistics (a snapshot taken at the current level). */
    public static Cause of(double replayLoss, double snapshotLoss, double typical, double scale, double spikeZ) {
        return of(replayLoss, snapshotLoss, typical, scale, typical, scale, spikeZ);
    }
}
