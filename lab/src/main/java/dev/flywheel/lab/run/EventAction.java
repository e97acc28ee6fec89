package dev.flywheel.lab.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;

/**
 * What was done about a {@link RunEvent}. Like {@link EventKind}, the {@link #id()} is what is stored and never
 * changes; {@code skip_batches}, {@code cut_lr} and {@code lr-cut} (spellings documented for the store before the
 * two event types became one) are read as aliases.
 *
 * <table>
 * <tr><th>id</th><th>aliases</th><th>meaning</th></tr>
 * <tr><td>none</td><td></td><td>recorded only (guard policy {@code detect})</td></tr>
 * <tr><td>warn</td><td></td><td>a warning sign, reported</td></tr>
 * <tr><td>clip</td><td></td><td>the update's gradient norm was clipped</td></tr>
 * <tr><td>skip</td><td>skip_batches</td><td>the batch's update was dropped and the data moved on</td></tr>
 * <tr><td>rollback</td><td></td><td>weights and optimizer state restored from a snapshot, the batches since skipped</td></tr>
 * <tr><td>rollback+lr-cut</td><td>cut_lr, lr-cut</td><td>a roll-back that also cut the learning rate</td></tr>
 * <tr><td>abort</td><td></td><td>the run was ended as diverged</td></tr>
 * <tr><td>injected</td><td></td><td>a fault was injected</td></tr>
 * <tr><td>stop</td><td></td><td>the run was stopped early</td></tr>
 * <tr><td>kill</td><td></td><td>the run's process was killed</td></tr>
 * <tr><td>signal</td><td></td><td>an external trainer was signalled to cut its learning rate (its control.jsonl)</td></tr>
 * </table>
 */
public enum EventAction {
    NONE("none"),
    WARN("warn"),
    CLIP("clip"),
    SKIP("skip", "skip_batches"),
    ROLLBACK("rollback"),
    ROLLBACK_LR_CUT("rollback+lr-cut", "cut_lr", "lr-cut"),
    ABORT("abort"),
    INJECTED("injected"),
    STOP("stop"),
    KILL("kill"),
    SIGNAL("signal");

    private final String id;
    private final List<String> aliases;

    EventAction(String id, String... aliases) {
        this.id = id;
        this.aliases = List.of(aliases);
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** True for the actions that restored an earlier snapshot. */
    public boolean rolledBack() {
        return this == ROLLBACK || this == ROLLBACK_LR_CUT;
    }

    /** The action with this id or alias; null (an action never recorded) is {@link #NONE}. */
    @JsonCreator
    public static EventAction parse(String text) {
        if (text == null) return NONE;
        for (var a : values()) if (a.id.equals(text) || a.aliases.contains(text)) return a;
        throw new IllegalArgumentException("'" + text + "' is not an event action; known: "
                + String.join(", ", java.util.Arrays.stream(values()).map(EventAction::id).toList()));
    }

    @Override
    public String toString() {
        return id;
    }
}
