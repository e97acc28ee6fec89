package dev.flywheel.lab;

import java.util.regex.Pattern;

/**
 * The one rule for names a user or a researcher gives that become file names: study names (a folder under
 * {@code LAB/studies}, and the prefix of every run id) and run ids. Checked before anything is written, because a
 * name such as {@code ../x} would otherwise put the study's files outside the lab; and kept portable and
 * shell-friendly (no separators, no leading '.' or '-' that a shell or a file browser treats specially).
 */
public final class Names {

    /** Long enough for any name people type, short enough that run ids built on it stay file-name sized. */
    public static final int MAX_LENGTH = 64;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (MAX_LENGTH - 1) + "}");

    private Names() {
    }

    /** Whether {@code name} is a usable name. */
    public static boolean valid(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * Returns {@code name} when it is usable, else refuses in one sentence.
     *
     * @param what what the name names, as the sentence starts: "study name", "run id"
     * @throws LabException naming the input and the rule, when the name could leave its folder or is not portable
     */
    public static String require(String what, String name) {
        if (!valid(name))
            throw new LabException(what + " \"" + printable(name) + "\" may hold only letters, digits, '.', '_' and '-', "
                    + "must start with a letter or digit and be at most " + MAX_LENGTH + " characters; choose another name");
        return name;
    }

    /** The name as it can be shown in one line: control characters escaped, very long names cut. */
    private static String printable(String name) {
        if (name == null) return "";
        var sb = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (sb.length() > 80) return sb.append("…").toString();
            if (Character.isISOControl(c)) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }
}
