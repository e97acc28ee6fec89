package dev.flywheel.lab.guard;

import dev.flywheel.lab.run.EventKind;

import java.util.Map;

/** What the {@link Detector} saw in a step. */
public sealed interface Finding {

    EventKind kind();

    String rule();

    Map<String, Object> measured();

    /**
     * A non-finite step, a loss spike or divergence: the step must not update the weights unexamined. It is
     * replayed for forensics against the loss's level and noise as they were before this step.
     *
     * @param level the typical loss before this step
     * @param scale the typical step-to-step deviation of the loss before this step
     */
    record Anomaly(EventKind kind, String rule, Map<String, Object> measured, double level, double scale)
            implements Finding {}

    /** A gradient-norm spike: the update is clipped to {@code clipTo}, as ZClip does. */
    record GradSpike(String rule, Map<String, Object> measured, double clipTo) implements Finding {
        @Override
        public EventKind kind() {
            return EventKind.GRAD_SPIKE;
        }
    }

    /** An early sign of instability, reported. */
    record Warning(EventKind kind, String rule, Map<String, Object> measured, String message) implements Finding {}
}
