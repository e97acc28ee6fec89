package dev.flywheel.engine;

import java.util.EnumMap;
import java.util.Map;

/**
 * Where a training step's time goes, by phase. The model marks the end of each phase with {@link #lap}: the time
 * since the previous mark is charged to that phase. Always on: a mark is one clock read.
 */
public final class Profile {

    public enum Phase { EMBEDDING, NORM, MATMUL, ATTENTION, ACTIVATION, RESIDUAL, LOSS, OPTIMIZER }

    private final long[] nanos = new long[Phase.values().length];
    private long last = System.nanoTime();

    /** Starts timing from now without charging anything (call at the start of a measured region). */
    public void start() {
        last = System.nanoTime();
    }

    public void lap(Phase phase) {
        long now = System.nanoTime();
        nanos[phase.ordinal()] += now - last;
        last = now;
    }

    public void reset() {
        java.util.Arrays.fill(nanos, 0);
        last = System.nanoTime();
    }

    /** Milliseconds per phase since the last reset. */
    public Map<Phase, Double> millis() {
        var m = new EnumMap<Phase, Double>(Phase.class);
        for (var p : Phase.values()) m.put(p, nanos[p.ordinal()] / 1e6);
        return m;
    }
}
