package dev.flywheel.data.clean;

import java.util.Locale;

/**
 * C4's document rules (Raffel et al. 2020, as in DataTrove's {@code C4QualityFilter}): no "lorem ipsum", no curly
 * brace (code or templates in a prose corpus), at least a few sentences. C4's line edits (dropping lines without
 * terminal punctuation) are left to {@link FineWebQuality}'s line ratios, so a document is kept or removed whole.
 * Prose only.
 */
public record C4Quality(int minSentences, boolean refuseCurlyBrace) implements QualityRule {

    public static final String NAME = "c4";

    public static C4Quality of(RuleParams p) {
        var r = new C4Quality(p.integer("min_sentences", 3, 0, Integer.MAX_VALUE), p.integer("refuse_curly_brace", 1, 0, 1) == 1);
        p.done();
        return r;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String check(TextStats t) {
        if (t.text.toLowerCase(Locale.ROOT).contains("lorem ipsum")) return "contains lorem ipsum";
        if (refuseCurlyBrace && t.text.indexOf('{') >= 0) return "contains a curly brace";
        int sentences = 0;
        for (int i = 0; i < t.words && sentences < minSentences; i++) if (endsSentence(t.text, t.wordEnd[i])) sentences++;
        if (sentences < minSentences) return "sentences " + sentences + " < " + minSentences;
        return null;
    }

    /** A word ending in '.', '!' or '?', possibly followed by closing quotes or brackets. */
    static boolean endsSentence(String s, int end) {
        int i = end - 1;
        while (i >= 0 && "\"'”’)]".indexOf(s.charAt(i)) >= 0) i--;
        return i >= 0 && ".!?".indexOf(s.charAt(i)) >= 0;
    }
}
