package dev.flywheel.lab.store;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** Where a run is in its life. Finished, crashed, diverged and killed are final; each is a result. */
public enum RunStatus {
    QUEUED, RUNNING, FINISHED, CRASHED, DIVERGED, KILLED;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isFinal() {
        return this != QUEUED && this != RUNNING;
    }

    static RunStatus of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
