package dev.flywheel.data.clean;

import dev.flywheel.data.corpus.Document;
import java.util.List;
import java.util.Map;

/**
 * What cleaning decided for one document, in corpus order: kept as it was, edited (spans cut out: boilerplate,
 * contamination) or removed by one rule, with the measured reason.
 *
 * @param text         the text to keep (the original when untouched), null when removed
 * @param removedBy    the rule that removed it, or null
 * @param detail       why, for people: the measured value against the threshold, or the document it duplicates
 * @param edits        the cuts made to a kept document
 * @param qualityHits  every quality rule the document fails (the first one removes it), for the audit
 * @param evalMatches  per evaluation text, how many of its n-grams the document shares (0 when none)
 * @param charset      the original text's charset oddities, for the audit
 */
public record Verdict(Document document, boolean code, String text, String removedBy, String detail, List<Edit> edits,
                     Map<String, String> qualityHits, int[] evalMatches, Charset charset) {

    /** Counts of what the audit calls charset oddities, taken from {@link TextStats}. */
    public record Charset(int replacementChars, int controlChars, int carriageReturns, int letters, int nonAsciiLetters) {
        static Charset of(TextStats t) {
            return new Charset(t.replacementChars, t.controlChars, t.carriageReturns, t.letters, t.nonAsciiLetters);
        }
    }

    /** One cut made to a kept document: which rule, why, and the UTF-8 bytes it took out. */
    public record Edit(String rule, String detail, long bytes) {}

    public boolean removed() {
        return removedBy != null;
    }

    public boolean edited() {
        return !edits.isEmpty();
    }
}
