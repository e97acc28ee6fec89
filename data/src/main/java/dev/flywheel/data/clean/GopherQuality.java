package dev.flywheel.data.clean;

import java.util.Set;

/**
 * Gopher's quality rule (Rae et al. 2021, as in DataTrove's {@code GopherQualityFilter}): enough words but not
 * too many, a plausible mean word length, few symbols ('#', ellipses), not mostly bullets or trailing ellipses,
 * most words alphabetic, and at least a couple of English stop words. Prose only.
 */
public record GopherQuality(int minWords, int maxWords, double minMeanWordLength, double maxMeanWordLength,
                            double maxSymbolRatio, double maxBulletLines, double maxEllipsisLines,
                            double minAlphaWords, int minStopWords) implements QualityRule {

    public static final String NAME = "gopher_quality";
    private static final Set<Long> STOP_WORDS = Set.of("the", "be", "to", "of", "and", "that", "have", "with").stream()
            .map(TextStats::hash).collect(java.util.stream.Collectors.toUnmodifiableSet());

    public static GopherQuality of(RuleParams p) {
        var r = new GopherQuality(p.integer("min_words", 50, 0, Integer.MAX_VALUE), p.integer("max_words", 100_000, 1, Integer.MAX_VALUE),
                p.number("min_mean_word_length", 3, 0, 1000), p.number("max_mean_word_length", 10, 0, 1000),
                p.number("max_symbol_ratio", 0.1, 0, 1e9), p.number("max_bullet_lines", 0.9, 0, 1),
                p.number("max_ellipsis_lines", 0.3, 0, 1), p.number("min_alpha_words", 0.8, 0, 1),
                p.integer("min_stop_words", 2, 0, Integer.MAX_VALUE));
        p.done();
        return r;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String check(TextStats t) {
        int words = 0, stop = 0;
        long chars = 0;
        for (int i = 0; i < t.words; i++) {
            if (t.norm[i] == 0) continue; // punctuation alone is not a word
            words++;
            chars += t.wordLength(i);
            if (stop < minStopWords && STOP_WORDS.contains(t.norm[i])) stop++;
        }
        if (words < minWords) return "words " + words + " < " + minWords;
        if (words > maxWords) return "words " + words + " > " + maxWords;
        double mean = (double) chars / words;
        if (mean < minMeanWordLength) return QualityRule.detail("mean word length", mean, "<", minMeanWordLength);
        if (mean > maxMeanWordLength) return QualityRule.detail("mean word length", mean, ">", maxMeanWordLength);
        double symbols = symbols(t.text) / (double) words;
        if (symbols > maxSymbolRatio) return QualityRule.detail("symbols per word", symbols, ">", maxSymbolRatio);
        int lines = 0, bullets = 0, ellipses = 0;
        for (int i = 0; i < t.lines; i++) {
            String line = t.line(i);
            if (line.isEmpty()) continue;
            lines++;
            char c = line.charAt(0);
            if (c == '•' || c == '‣' || c == '◦' || c == '-' || c == '*' || c == '–') bullets++;
            if (line.endsWith("...") || line.endsWith("…")) ellipses++;
        }
        if (lines > 0 && bullets / (double) lines > maxBulletLines) return QualityRule.detail("bullet lines", bullets / (double) lines, ">", maxBulletLines);
        if (lines > 0 && ellipses / (double) lines > maxEllipsisLines) return QualityRule.detail("ellipsis lines", ellipses / (double) lines, ">", maxEllipsisLines);
        double alpha = t.words == 0 ? 0 : t.alphaWords / (double) t.words;
        if (alpha < minAlphaWords) return QualityRule.detail("alphabetic words", alpha, "<", minAlphaWords);
        if (stop < minStopWords) return "stop words " + stop + " < " + minStopWords;
        return null;
    }

    private static int symbols(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '#' || c == '…') n++;
            else if (c == '.' && i + 2 < s.length() && s.charAt(i + 1) == '.' && s.charAt(i + 2) == '.') {
                n++;
                i += 2;
            }
        }
        return n;
    }
}
