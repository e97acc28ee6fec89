package dev.flywheel.lab.journal;

/**
 * Text written by a researcher — an LLM's hypotheses, notes and summaries, a model's name — is data, not markup:
 * this is the one place that makes it safe to show. {@link #markdown} for the journal (it renders as the words
 * that were written: no HTML, no links or images, no headings, no tables, no fake end-of-block markers),
 * {@link #printable} for a terminal (no escape sequences that move the cursor, recolour or retitle it) and
 * {@link #line} where one line is wanted (results.tsv, tables).
 */
public final class ResearcherText {

    /** Backslash-escaped anywhere: CommonMark lets any ASCII punctuation be escaped; these open markup wherever they are. */
    private static final String ACTIVE = "\\`*~|";
    /** Escaped at the start of a line, where they open a list, a heading, its underline, a quote or a rule. */
    private static final String LINE_START = "-+=#>";

    private ResearcherText() {
    }

    /**
     * The text as Markdown that renders as exactly these words: no HTML (a {@code <} is written {@code &lt;}),
     * no entity, link, image, reference definition, heading, table, quote, list, emphasis, code or rule; control
     * characters gone. Plain prose stays as it was written ({@code val_bpb}, {@code [line search]}), so the raw
     * file reads well too. Lines are kept (the journal quotes them line by line).
     */
    public static String markdown(String text) {
        if (text == null) return null;
        var s = printable(text);
        var out = new StringBuilder(s.length() + 16);
        boolean lineStart = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            char before = i > 0 ? s.charAt(i - 1) : ' ', after = i + 1 < s.length() ? s.charAt(i + 1) : ' ';
            if (c == '<') out.append("&lt;");
            else if (c == '&' && entityAt(s, i + 1)) out.append("&amp;");
            else {
                boolean escape = ACTIVE.indexOf(c) >= 0
                        || lineStart && LINE_START.indexOf(c) >= 0
                        // emphasis with _ needs a side that is not a letter or digit: val_bpb stays as it is
                        || c == '_' && !(Character.isLetterOrDigit(before) && Character.isLetterOrDigit(after))
                        // a link, an image or a reference definition needs ](, ][ or ]:; [line search] stays
                        || c == ']' && (after == '(' || after == '[' || after == ':');
                if (escape) out.append('\\');
                out.append(c);
            }
            if (c == '\n') lineStart = true;
            else if (c != ' ') lineStart = false;
        }
        return out.toString();
    }

    /** Whether {@code &} before {@code from} would start a character reference ({@code &lt;}, {@code &#60;}). */
    private static boolean entityAt(String s, int from) {
        int i = from;
        while (i < s.length() && i - from < 32 && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '#')) i++;
        return i > from && i < s.length() && s.charAt(i) == ';';
    }

    /** {@link #markdown} on one line: line breaks become spaces. */
    public static String markdownLine(String text) {
        return text == null ? null : markdown(line(text));
    }

    /**
     * The text without what a terminal or editor would act on instead of showing: C0 and C1 control characters
     * (ESC starts the escape sequences), DEL, and invisible format characters such as bidirectional overrides.
     * Line breaks of any kind become {@code \n}; tabs become spaces; zero-width joiners (emoji) stay.
     */
    public static String printable(String text) {
        if (text == null) return null;
        var out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == '\r') {
                out.append('\n');
                if (i < text.length() && text.charAt(i) == '\n') i++;
            } else if (c == '\n' || c == 0x2028 || c == 0x2029 || c == 0x85) out.append('\n');
            else if (c == '\t') out.append(' ');
            else if (Character.isISOControl(c)) continue;
            else if (Character.getType(c) == Character.FORMAT && c != 0x200D) continue;
            else out.appendCodePoint(c);
        }
        return out.toString();
    }

    /** {@link #printable} on one line: runs of white space (line breaks included) become one space. */
    public static String line(String text) {
        return text == null ? null : printable(text).replaceAll("\\s+", " ").strip();
    }
}
