package dev.flywheel.data.clean;

import dev.flywheel.data.util.Hashing;
import java.util.ArrayList;
import java.util.List;

/**
 * Span-level dedup of boilerplate (as Dolma dedups paragraphs): a span is a run of non-blank lines — in source
 * code, a run of comment lines — compared after normalising case, digits (a licence header's years) and comment
 * markers. A span of at least {@code minChars} that earlier documents already held {@code minRepeats} times is
 * cut from this one; its first occurrences stay. This removes the licence header from every JDK source file
 * but the first, without touching the code.
 */
public record Boilerplate(int minChars, int minRepeats) {
    public static final String NAME = "boilerplate";

    /** One span: its normalised hash and its character range in the document. */
    public record Span(long hash, int start, int end) {}

    public static Boilerplate of(RuleParams p) {
        var b = new Boilerplate(p.integer("min_chars", 100, 1, Integer.MAX_VALUE), p.integer("min_repeats", 1, 1, Integer.MAX_VALUE));
        p.done();
        return b;
    }

    /** The spans of a document of at least {@code minChars} normalised characters. */
    public List<Span> spans(TextStats t, boolean code) {
        var out = new ArrayList<Span>();
        long h = 0;
        int chars = 0, start = -1, end = -1;
        var line = new long[2];
        for (int i = 0; i <= t.lines; i++) {
            boolean part = i < t.lines && normalise(t.text, t.lineStart[i], t.lineEnd[i], code, line);
            if (part) {
                if (start < 0) start = t.lineStart[i];
                end = t.lineEnd[i];
                h = Hashing.mix64(h * 31 + line[0]);
                chars += (int) line[1];
            } else {
                if (start >= 0 && chars >= minChars) out.add(new Span(h == -1 ? 7 : h, start, Math.min(t.text.length(), end + 1)));
                h = 0;
                chars = 0;
                start = -1;
            }
        }
        return out;
    }

    /**
     * Hashes the line's normalised form (lower case, digits as 0, comment markers and outer spaces dropped) into
     * {@code out[0]} and its length into {@code out[1]}; false when the line ends a span (blank, or code outside
     * a comment). A line of comment markers alone ({@code " *"}) continues the span.
     */
    static boolean normalise(String s, int from, int to, boolean code, long[] out) {
        while (from < to && s.charAt(from) <= ' ') from++;
        while (to > from && s.charAt(to - 1) <= ' ') to--;
        if (from == to) return false;
        char c0 = s.charAt(from), c1 = from + 1 < to ? s.charAt(from + 1) : ' ';
        boolean comment = c0 == '*' || c0 == '#' || (c0 == '/' && (c1 == '*' || c1 == '/')) || (c0 == '-' && c1 == '-');
        if (code && !comment) return false;
        int i = from;
        while (i < to && "/*#-! \t".indexOf(s.charAt(i)) >= 0) i++;
        if (to - i >= 2 && s.charAt(to - 2) == '*' && s.charAt(to - 1) == '/') to -= 2;
        long h = 0xcbf29ce484222325L;
        for (int k = i; k < to; k++) {
            char c = s.charAt(k);
            char n = c >= '0' && c <= '9' ? '0' : c >= 'A' && c <= 'Z' ? (char) (c | 0x20) : c < 128 ? c : Character.isDigit(c) ? '0' : Character.toLowerCase(c);
            h = (h ^ n) * 0x100000001b3L;
        }
        out[0] = h;
        out[1] = Math.max(0, to - i);
        return true;
    }

    /**
     * Where a source file's leading comments (its licence header, in the XML stack two blocks) end: 0 when it does
     * not start with one.
     */
    public static int headerEnd(TextStats t) {
        var line = new long[2];
        int end = 0;
        for (int i = 0; i < t.lines; i++) {
            if (normalise(t.text, t.lineStart[i], t.lineEnd[i], true, line)) end = t.lineEnd[i];
            else if (!t.text.substring(t.lineStart[i], t.lineEnd[i]).isBlank()) break; // code ends it; blank lines between comment blocks do not
        }
        return end;
    }

    static String describe(String text, Span s) {
        String t = text.substring(s.start(), s.end()).strip().replaceAll("\\s+", " ");
        return t.length() > 160 ? t.substring(0, 160) + "…" : t;
    }
}
