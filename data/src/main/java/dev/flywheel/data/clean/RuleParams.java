package dev.flywheel.data.clean;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.data.DataException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The thresholds of one rule as a rules file gives them ({@code "gopher_quality": {"min_words": 50}}): each read
 * with its default and its valid range, so a typo or an impossible value is one clear sentence, never a silent
 * default. {@link #done()} refuses keys the rule did not read.
 */
public final class RuleParams {
    private final String rule;
    private final String origin;
    private final JsonNode node;
    private final Set<String> read = new HashSet<>();

    public RuleParams(String rule, String origin, JsonNode node) {
        this.rule = rule;
        this.origin = origin;
        this.node = node;
        if (node != null && !node.isObject() && !node.isBoolean()) {
            throw new DataException("rule " + rule + " in " + origin + " must be an object of thresholds (or {} for its defaults); fix the rules file");
        }
    }

    /** The defaults of a rule (no file). */
    public static RuleParams defaults(String rule) {
        return new RuleParams(rule, "the defaults", null);
    }

    public String rule() {
        return rule;
    }

    public double number(String key, double fallback, double min, double max) {
        read.add(key);
        JsonNode v = node == null ? null : node.get(key);
        if (v == null) return fallback;
        if (!v.isNumber() || !(v.doubleValue() >= min && v.doubleValue() <= max)) {
            throw new DataException(String.format(Locale.ROOT, "%s.%s = %s in %s is not valid; give a number from %s to %s",
                    rule, key, v, origin, plain(min), plain(max)));
        }
        return v.doubleValue();
    }

    public int integer(String key, int fallback, int min, int max) {
        double v = number(key, fallback, min, max);
        if (v != Math.rint(v)) {
            throw new DataException(rule + "." + key + " = " + v + " in " + origin + " is not valid; give a whole number from " + min + " to " + max);
        }
        return (int) v;
    }

    /** Refuses keys no threshold read: a misspelt threshold would otherwise be ignored. */
    public void done() {
        if (node == null || !node.isObject()) return;
        var unknown = new TreeSet<String>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!read.contains(k)) unknown.add(k);
        }
        if (!unknown.isEmpty()) {
            throw new DataException("rule " + rule + " in " + origin + " has no threshold " + String.join(", ", unknown)
                    + "; its thresholds are " + String.join(", ", new TreeSet<>(read)));
        }
    }

    private static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
