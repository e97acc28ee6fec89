package dev.flywheel.lab.run;

/** How a run ended. Crashed and diverged runs are results too: the journal records them. */
public enum RunStatus {
    /** spent its budget and was evaluated */
    FINISHED,
    /** stopped before its budget because its learning curve was clearly losing (successive halving) */
    STOPPED,
    /** the loss became NaN/infinite or the guard gave up remediating */
    DIVERGED,
    /** an error ended it (out of memory, a bug, a killed process) */
    CRASHED;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
