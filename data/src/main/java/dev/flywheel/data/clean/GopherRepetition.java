package dev.flywheel.data.clean;

import dev.flywheel.data.util.LongIntMap;

/**
 * Gopher's repetition rule (as in DataTrove's {@code GopherRepetitionFilter}): too many duplicated lines or
 * paragraphs (by count or by characters), one 2-, 3- or 4-gram covering too much of the text, or too much of the
 * text inside repeated 5- to 10-grams. Catches keyword spam, repeated lines and templated pages. Prose only.
 * Unlike Gopher, lines of fewer than {@code minLineWords} words are not counted as duplicate lines: dialogue
 * repeats its speakers' names ("ROMEO:") without being junk.
 */
public record GopherRepetition(int minLineWords, double maxDuplicateLines, double maxDuplicateLineChars, double maxDuplicateParagraphs,
                               double maxDuplicateParagraphChars, double maxTop2, double maxTop3, double maxTop4,
                               double maxDuplicate5, double maxDuplicate10) implements QualityRule {

    public static final String NAME = "gopher_repetition";

    public static GopherRepetition of(RuleParams p) {
        var r = new GopherRepetition(p.integer("min_line_words", 3, 0, 1000), p.number("max_duplicate_lines", 0.3, 0, 1), p.number("max_duplicate_line_chars", 0.2, 0, 1),
                p.number("max_duplicate_paragraphs", 0.3, 0, 1), p.number("max_duplicate_paragraph_chars", 0.2, 0, 1),
                p.number("max_top_2gram", 0.2, 0, 1), p.number("max_top_3gram", 0.18, 0, 1), p.number("max_top_4gram", 0.16, 0, 1),
                p.number("max_duplicate_5gram", 0.15, 0, 1), p.number("max_duplicate_10gram", 0.10, 0, 1));
        p.done();
        return r;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String check(TextStats t) {
        double total = Math.max(1, t.text.length());
        // lines and paragraphs (runs of non-empty lines)
        var seenLines = new LongIntMap(Math.max(4, t.lines), 0);
        var seenParas = new LongIntMap(16, 0);
        int lines = 0, dupLines = 0, paras = 0, dupParas = 0;
        long dupLineChars = 0, dupParaChars = 0;
        long para = 0;
        int paraChars = 0;
        for (int i = 0; i <= t.lines; i++) {
            String line = i < t.lines ? t.line(i) : "";
            if (line.isEmpty()) {
                if (paraChars > 0) {
                    paras++;
                    if (seenParas.containsKey(key(para))) {
                        dupParas++;
                        dupParaChars += paraChars;
                    } else seenParas.put(key(para), 1);
                }
                para = 0;
                paraChars = 0;
                continue;
            }
            long h = TextStats.hash(line);
            para = dev.flywheel.data.util.Hashing.mix64(para * 31 + h);
            paraChars += line.length();
            if (words(line) < minLineWords) continue;
            lines++;
            if (seenLines.containsKey(key(h))) {
                dupLines++;
                dupLineChars += line.length();
            } else seenLines.put(key(h), 1);
        }
        if (lines > 0 && dupLines / (double) lines > maxDuplicateLines) return QualityRule.detail("duplicate lines", dupLines / (double) lines, ">", maxDuplicateLines);
        if (dupLineChars / total > maxDuplicateLineChars) return QualityRule.detail("characters in duplicate lines", dupLineChars / total, ">", maxDuplicateLineChars);
        if (paras > 0 && dupParas / (double) paras > maxDuplicateParagraphs) return QualityRule.detail("duplicate paragraphs", dupParas / (double) paras, ">", maxDuplicateParagraphs);
        if (dupParaChars / total > maxDuplicateParagraphChars) return QualityRule.detail("characters in duplicate paragraphs", dupParaChars / total, ">", maxDuplicateParagraphChars);
        double[] top = {maxTop2, maxTop3, maxTop4};
        for (int n = 2; n <= 4; n++) {
            double f = topNgram(t, n) / total;
            if (f > top[n - 2]) return QualityRule.detail("characters in the top " + n + "-gram", f, ">", top[n - 2]);
        }
        for (int n = 5; n <= 10; n++) {
            double limit = maxDuplicate5 + (maxDuplicate10 - maxDuplicate5) * (n - 5) / 5.0; // Gopher: 0.15, 0.14, ... 0.10
            double f = duplicateNgrams(t, n) / total;
            if (f > limit) return QualityRule.detail("characters in duplicate " + n + "-grams", f, ">", limit);
        }
        return null;
    }

    /** Whitespace-separated words in a stripped line. */
    static int words(String line) {
        int n = line.isEmpty() ? 0 : 1;
        for (int i = 1; i < line.length(); i++) if (line.charAt(i) == ' ' && line.charAt(i - 1) != ' ') n++;
        return n;
    }

    private static long key(long h) {
        return h == LongIntMap.EMPTY ? 7 : h;
    }

    private static long ngram(TextStats t, int from, int n) {
        long h = 0;
        for (int k = 0; k < n; k++) h = h * 0x9E3779B97F4A7C15L + t.raw[from + k];
        return key(dev.flywheel.data.util.Hashing.mix64(h));
    }

    private static int ngramChars(TextStats t, int from, int n) {
        int c = n - 1;
        for (int k = 0; k < n; k++) c += t.wordLength(from + k);
        return c;
    }

    /** Characters covered by the most frequent n-gram (its length × its count), if it occurs more than once. */
    static long topNgram(TextStats t, int n) {
        if (t.words < n) return 0;
        var counts = new LongIntMap(t.words, 0);
        int best = 0, bestAt = -1;
        for (int i = 0; i + n <= t.words; i++) {
            long h = ngram(t, i, n);
            int c = counts.get(h) + 1;
            counts.put(h, c);
            if (c > best) {
                best = c;
                bestAt = i;
            }
        }
        return best > 1 ? (long) best * ngramChars(t, bestAt, n) : 0;
    }

    /** Characters inside n-grams seen before, skipping past each repeat (DataTrove's {@code find_all_duplicate}). */
    static long duplicateNgrams(TextStats t, int n) {
        if (t.words < n) return 0;
        var seen = new LongIntMap(t.words, 0);
        long chars = 0;
        for (int i = 0; i + n <= t.words; ) {
            long h = ngram(t, i, n);
            if (seen.containsKey(h)) {
                chars += ngramChars(t, i, n);
                i += n;
            } else {
                seen.put(h, 1);
                i++;
            }
        }
        return chars;
    }
}
