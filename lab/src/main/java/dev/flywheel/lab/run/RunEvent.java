package dev.flywheel.lab.run;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Something that happened in a run worth recording beside its metrics: a guard detection and the action taken,
 * an injected fault, an early stop, a kill. The same value goes to the store, to {@code events.jsonl}, to
 * {@code result.json} and over the child-JVM protocol, as JSON with these field names.
 *
 * @param step     the optimizer step
 * @param kind     what happened
 * @param rule     the rule that fired, e.g. "loss-zscore"
 * @param measured the values the rule saw, in order: JSON values (numbers, strings, lists, maps). Top-level
 *                 numbers are doubles; non-finite ones, which JSON cannot hold, travel as the strings "NaN",
 *                 "Infinity" and "-Infinity" and are read back as doubles
 * @param action   what was done about it
 * @param message  one sentence for the journal
 */
public record RunEvent(long step, EventKind kind, String rule, Map<String, Object> measured, EventAction action,
                       String message) {

    public RunEvent {
        Objects.requireNonNull(kind, "kind");
        if (action == null) action = EventAction.NONE;
        var m = new LinkedHashMap<String, Object>();
        if (measured != null) measured.forEach((k, v) -> m.put(k, normalise(v)));
        measured = Collections.unmodifiableMap(m);
    }

    /** A measured number, or NaN when it is absent or not a number. */
    public double value(String key) {
        return measured.get(key) instanceof Double d ? d : Double.NaN;
    }

    private static Object normalise(Object v) {
        return switch (v) {
            case Number n -> n.doubleValue();
            case String s when s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity") -> Double.valueOf(s);
            case null, default -> v;
        };
    }
}
