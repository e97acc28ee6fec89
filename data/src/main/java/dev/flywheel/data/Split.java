package dev.flywheel.data;

import java.util.Locale;

/** The three parts of a prepared corpus. Train and validation never share a document in a hash split. */
public enum Split {
    TRAIN, VAL, TEST;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Split parse(String text) {
        for (Split s : values()) if (s.label().equalsIgnoreCase(text.trim())) return s;
        if (text.trim().equalsIgnoreCase("validation")) return VAL;
        throw new DataException("unknown split '" + text + "'; choose train, val or test");
    }
}
