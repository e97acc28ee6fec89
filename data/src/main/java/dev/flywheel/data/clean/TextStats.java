package dev.flywheel.data.clean;

import java.util.Arrays;

/**
 * One document cut once into what every cleaning rule reads: its words (whitespace-separated tokens, with their
 * character offsets and two 64-bit hashes) and its lines. The rules, the exact and near dedup and the
 * decontamination all read this one value, so the text is scanned once per document.
 *
 * <p>{@code norm[i]} hashes the word's letters and digits, lower-cased (punctuation dropped; 0 when there are
 * none): what shingles and 13-grams are built from. {@code raw[i]} hashes the whole lower-cased token: what exact
 * dedup and repetition rules compare.
 */
public final class TextStats {
    public final String text;
    public int words;
    public int[] wordStart;
    public int[] wordEnd;
    public long[] norm;
    public long[] raw;
    /** Words holding at least one letter. */
    public int alphaWords;
    /** Characters in words (whitespace excluded). */
    public long wordChars;
    public int lines;
    public int[] lineStart;
    public int[] lineEnd;
    /** Letters and digits (any script), and the charset oddities the audit reports. */
    public int alphanumeric, letters, nonAsciiLetters, replacementChars, controlChars, carriageReturns;

    private static final long FNV = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private TextStats(String text) {
        this.text = text;
        int words = text.length() / 5 + 16, lines = text.length() / 24 + 16; // English and code average more per word and line
        wordStart = new int[words];
        wordEnd = new int[words];
        norm = new long[words];
        raw = new long[words];
        lineStart = new int[lines];
        lineEnd = new int[lines];
    }

    public static TextStats of(String text) {
        var t = new TextStats(text);
        t.scan();
        return t;
    }

    /** ASCII classes: 0 other (punctuation, symbols), 1 whitespace, 2 letter, 3 digit. */
    private static final byte[] ASCII = new byte[128];

    static {
        for (char c = 0; c < 128; c++) {
            ASCII[c] = (byte) (Character.isWhitespace(c) ? 1 : Character.isLetter(c) ? 2 : Character.isDigit(c) ? 3 : 0);
        }
    }

    private static int kind(char c) {
        if (c < 128) return ASCII[c];
        if (Character.isWhitespace(c)) return 1;
        if (Character.isLetter(c)) return 2;
        return Character.isDigit(c) ? 3 : 0;
    }

    private void scan() {
        int n = text.length();
        int lineFrom = 0;
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\n') {
                addLine(lineFrom, i);
                lineFrom = i + 1;
                i++;
                continue;
            }
            if (kind(c) == 1) {
                if (c == '\r') carriageReturns++;
                else if (c == 0x0B || c == 0x0C || (c >= 0x1C && c <= 0x1F)) controlChars++;
                i++;
                continue;
            }
            int start = i;
            long h = FNV, hn = FNV;
            boolean alpha = false, any = false;
            while (i < n) {
                c = text.charAt(i);
                int k = kind(c);
                if (k == 1) break;
                char lower = c < 128 ? (k == 2 ? (char) (c | 0x20) : c) : Character.toLowerCase(c);
                h = (h ^ lower) * PRIME;
                if (k >= 2) {
                    hn = (hn ^ lower) * PRIME;
                    any = true;
                    alpha |= k == 2;
                    alphanumeric++;
                    if (k == 2) {
                        letters++;
                        if (c >= 128) nonAsciiLetters++;
                    }
                } else if (c == '\uFFFD') replacementChars++;
                else if (c < 0x20 || (c >= 0x7F && c < 0xA0)) controlChars++;
                i++;
            }
            addWord(start, i, any ? finish(hn) : 0, finish(h));
            if (alpha) alphaWords++;
            wordChars += i - start;
        }
        if (lineFrom < n) addLine(lineFrom, n);
    }

    /** A hash never 0 (0 means "no letters or digits"). */
    private static long finish(long h) {
        h = dev.flywheel.data.util.Hashing.mix64(h);
        return h == 0 ? 1 : h;
    }

    private void addWord(int start, int end, long n, long r) {
        if (words == wordStart.length) {
            int cap = words * 2;
            wordStart = Arrays.copyOf(wordStart, cap);
            wordEnd = Arrays.copyOf(wordEnd, cap);
            norm = Arrays.copyOf(norm, cap);
            raw = Arrays.copyOf(raw, cap);
        }
        wordStart[words] = start;
        wordEnd[words] = end;
        norm[words] = n;
        raw[words] = r;
        words++;
    }

    private void addLine(int start, int end) {
        if (end > start && text.charAt(end - 1) == '\r') end--;
        if (lines == lineStart.length) {
            lineStart = Arrays.copyOf(lineStart, lines * 2);
            lineEnd = Arrays.copyOf(lineEnd, lines * 2);
        }
        lineStart[lines] = start;
        lineEnd[lines] = end;
        lines++;
    }

    /** Line {@code i} without its line end and surrounding whitespace. */
    public String line(int i) {
        return text.substring(lineStart[i], lineEnd[i]).strip();
    }

    public int wordLength(int i) {
        return wordEnd[i] - wordStart[i];
    }

    /** The hash of the whole text with case and runs of whitespace normalised: what exact dedup compares. */
    public long exactHash() {
        long h = FNV;
        for (int i = 0; i < words; i++) h = (h ^ raw[i]) * PRIME;
        return finish(h ^ words);
    }

    /** Shared by the rules: the hash of a lower-cased, stripped string. */
    static long hash(CharSequence s) {
        long h = FNV;
        for (int i = 0; i < s.length(); i++) h = (h ^ Character.toLowerCase(s.charAt(i))) * PRIME;
        return finish(h);
    }
}
