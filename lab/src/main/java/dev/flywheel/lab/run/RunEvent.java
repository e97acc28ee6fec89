package dev.flywheel.lab.run;

import java.util.Map;

/**
 * Something that happened in a run worth recording beside its metrics: a guard detection and the action taken,
 * an injected fault, an early stop.
 *
 * @param kind     e.g. "spike", "nan", "divergence", "inject", "early-stop"
 * @param rule     the rule that fired, e.g. "loss-zscore"
 * @param measured the values the rule saw
 * @param action   what was done about it, e.g. "rollback", "skip", "lr-cut", "abort", "none"
 */
public record RunEvent(long step, String kind, String rule, Map<String, Object> measured, String action,
                       String message) {}
