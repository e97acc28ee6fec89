package dev.flywheel.data.clean;

import dev.flywheel.data.util.LongIntMap;

/**
 * FineWeb's own rules (Penedo et al. 2024, DataTrove's {@code FineWebQualityFilter}): enough lines ending in
 * punctuation, not mostly short lines, few characters in repeated lines, and not a list (newlines per word).
 * The repeated-line threshold is looser than FineWeb's 0.01 by default: dialogue and verse repeat their speakers'
 * names (docs/data-cleaning.md has the measurement). Prose only.
 */
public record FineWebQuality(double minPunctuatedLines, double maxShortLines, int shortLineLength,
                             double maxDuplicateLineChars, double maxNewlinesPerWord) implements QualityRule {

    public static final String NAME = "fineweb";

    public static FineWebQuality of(RuleParams p) {
        var r = new FineWebQuality(p.number("min_punctuated_lines", 0.12, 0, 1), p.number("max_short_lines", 0.67, 0, 1),
                p.integer("short_line_length", 30, 0, 100_000), p.number("max_duplicate_line_chars", 0.1, 0, 1),
                p.number("max_newlines_per_word", 0.3, 0, 1e9));
        p.done();
        return r;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String check(TextStats t) {
        int lines = 0, punctuated = 0, shortLines = 0;
        long dupChars = 0;
        var seen = new LongIntMap(Math.max(4, t.lines), 0);
        for (int i = 0; i < t.lines; i++) {
            String line = t.text.substring(t.lineStart[i], t.lineEnd[i]);
            if (line.isBlank()) continue;
            lines++;
            char last = line.charAt(line.length() - 1);
            if (last == '.' || last == '\'' || last == '"' || last == '!' || last == '?' || last == '”') punctuated++;
            if (line.length() <= shortLineLength) shortLines++;
            long h = TextStats.hash(line);
            if (h == LongIntMap.EMPTY) h = 7;
            if (GopherRepetition.words(line.strip()) < 3) continue; // speakers' names in dialogue, as in GopherRepetition
            if (seen.containsKey(h)) dupChars += line.length();
            else seen.put(h, 1);
        }
        if (lines == 0) return "no text";
        double p = punctuated / (double) lines;
        if (p < minPunctuatedLines) return QualityRule.detail("lines ending in punctuation", p, "<", minPunctuatedLines);
        double s = shortLines / (double) lines;
        if (s > maxShortLines) return QualityRule.detail("short lines", s, ">", maxShortLines);
        long newlines = t.text.chars().filter(c -> c == '\n').count();
        long chars = t.text.length() - newlines;
        long listLines = lines; // FineWeb counts every newline; paragraph breaks are not list items, so only lines with text count here
        double d = chars == 0 ? 0 : dupChars / (double) chars;
        if (d > maxDuplicateLineChars) return QualityRule.detail("characters in repeated lines", d, ">", maxDuplicateLineChars);
        double nl = t.words == 0 ? Double.POSITIVE_INFINITY : listLines / (double) t.words;
        if (nl > maxNewlinesPerWord) return QualityRule.detail("newlines per word", nl, ">", maxNewlinesPerWord);
        return null;
    }
}
