package dev.flywheel.data.util;

import dev.flywheel.data.DataException;
import java.util.Locale;
import java.util.regex.Pattern;

/** Human sizes on the command line: 500000, 20KB, 50MB, 2GB (powers of 1000) and 20KiB, 50MiB, 2GiB (powers of 1024). */
public final class Sizes {
    private Sizes() {}

    private static final Pattern SIZE = Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*(|b|k|kb|m|mb|g|gb|t|tb|kib|mib|gib|tib)\\s*");

    /** Parses {@code text}; {@code option} names the flag in the error message. */
    public static long parse(String option, String text) {
        var m = SIZE.matcher(text == null ? "" : text);
        if (!m.matches()) throw new DataException(option + " " + text + " is not a size; write it like 500000, 50MB or 2GiB");
        double n = Double.parseDouble(m.group(1));
        double unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1;
            case "k", "kb" -> 1e3;
            case "m", "mb" -> 1e6;
            case "g", "gb" -> 1e9;
            case "t", "tb" -> 1e12;
            case "kib" -> 0x1p10;
            case "mib" -> 0x1p20;
            case "gib" -> 0x1p30;
            default -> 0x1p40;
        };
        return Math.round(n * unit);
    }
}
