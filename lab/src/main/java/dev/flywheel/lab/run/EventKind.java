package dev.flywheel.lab.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;

/**
 * What a {@link RunEvent} is about. The {@link #id()} is what the store, {@code events.jsonl}, {@code result.json}
 * and the child-JVM protocol hold; it never changes once written. Spellings that older code documented for the
 * store ({@code grad_spike}, {@code attn_logit_growth}, ...) are read as aliases.
 *
 * <table>
 * <tr><th>id</th><th>aliases</th><th>who records it</th></tr>
 * <tr><td>nan</td><td></td><td>guard: non-finite loss or gradient norm</td></tr>
 * <tr><td>spike</td><td></td><td>guard: loss z-score or loss ratio</td></tr>
 * <tr><td>divergence</td><td></td><td>guard: smoothed loss above its initial value; the runner: NaN in the weights</td></tr>
 * <tr><td>grad-spike</td><td>grad_spike</td><td>guard: gradient-norm z-score (clipped)</td></tr>
 * <tr><td>attn-logit-growth</td><td>attn_logit_growth</td><td>guard: warning</td></tr>
 * <tr><td>logit-drift</td><td>logit_drift</td><td>guard: warning</td></tr>
 * <tr><td>inject</td><td></td><td>fault injection</td></tr>
 * <tr><td>early-stop</td><td>early_stop</td><td>the runner: successive halving stopped the run</td></tr>
 * <tr><td>killed</td><td></td><td>the child-JVM executor: the run overran its hard time limit</td></tr>
 * </table>
 */
public enum EventKind {
    NAN("nan"),
    SPIKE("spike"),
    DIVERGENCE("divergence"),
    GRAD_SPIKE("grad-spike", "grad_spike"),
    ATTN_LOGIT_GROWTH("attn-logit-growth", "attn_logit_growth"),
    LOGIT_DRIFT("logit-drift", "logit_drift"),
    INJECT("inject"),
    EARLY_STOP("early-stop", "early_stop"),
    KILLED("killed");

    private final String id;
    private final List<String> aliases;

    EventKind(String id, String... aliases) {
        this.id = id;
        this.aliases = List.of(aliases);
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** The guard's anomalies: the step was replayed and the event carries forensics (cause, top documents). */
    public boolean hasForensics() {
        return this == NAN || this == SPIKE || this == DIVERGENCE;
    }

    /** The kind with this id or alias. */
    @JsonCreator
    public static EventKind parse(String text) {
        for (var k : values()) if (k.id.equals(text) || k.aliases.contains(text)) return k;
        throw new IllegalArgumentException("'" + text + "' is not an event kind; known: "
                + String.join(", ", java.util.Arrays.stream(values()).map(EventKind::id).toList()));
    }

    @Override
    public String toString() {
        return id;
    }
}
