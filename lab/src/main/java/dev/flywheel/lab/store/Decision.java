package dev.flywheel.lab.store;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** The study's verdict on a run: its change is kept (it becomes the new best) or discarded. */
public enum Decision {
    KEEP, DISCARD;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Decision of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
