package dev.flywheel.data.tokenizer;

/**
 * The pre-split that cuts text into chunks before byte-pair merging; merges never cross a chunk boundary.
 * Both patterns are scanned by hand over UTF-8 bytes instead of {@code java.util.regex}: the regex engine runs
 * at a few MB/s, this at well over 50 MB/s, and working on bytes lets invalid UTF-8 pass through unchanged (an
 * invalid byte counts as punctuation, so it never glues letters together). The tests compare both scanners with
 * the regular expressions on random Unicode.
 */
public enum PreSplit {

    /** GPT-4's cl100k_base pattern: contractions, letters with one leading non-letter, digits in threes. */
    GPT4("'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),

    /** GPT-2's r50k_base pattern: contractions, then runs of letters, digits or punctuation with one leading space. */
    GPT2("'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private final String regex;
    private final String portableRegex;

    PreSplit(String regex, String portableRegex) {
        this.regex = regex;
        this.portableRegex = portableRegex;
    }

    /**
     * The same split written without possessive quantifiers, as Hugging Face tokenizer.json files spell it, so
     * that JavaScript and other regex engines without possessives can load our export. The tests check that it
     * splits exactly like {@link #regex()}.
     */
    public String portableRegex() {
        return portableRegex;
    }

    /** The regular expression this scanner implements (Java syntax, {@code UNICODE_CHARACTER_CLASS}). */
    public String regex() {
        return regex;
    }

    /** Receives chunk boundaries as byte offsets. */
    @FunctionalInterface
    public interface ChunkSink {
        void chunk(byte[] utf8, int start, int end);
    }

    // Character classes of the patterns. OTHER is [^\s\p{L}\p{N}]; NEWLINE is \r or \n (also whitespace).
    static final int LETTER = 1, NUMBER = 2, SPACE = 4, NEWLINE = 8, OTHER = 16;
    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            int k;
            if (Character.isLetter(c)) k = LETTER;
            else if (c >= '0' && c <= '9') k = NUMBER;
            else if (c == '\n' || c == '\r') k = SPACE | NEWLINE;
            else if (c == ' ' || (c >= 0x09 && c <= 0x0D)) k = SPACE;
            else k = OTHER;
            ASCII_CLASS[c] = (byte) k;
        }
    }

    /** Class of a code point: \p{L}, \p{N}, Unicode White_Space (what \s means under UNICODE_CHARACTER_CLASS). */
    static int classOf(int cp) {
        if (cp < 128) return cp < 0 ? OTHER : ASCII_CLASS[cp];
        if (isWhiteSpace(cp)) return SPACE;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /**
     * Decodes the code point at {@code i}, packed in a long to avoid allocating: the low 32 bits hold the code
     * point (-1 for an invalid byte, which then counts as one byte), the high 32 bits its length in bytes (1..4).
     */
    static long decode(byte[] b, int i, int end) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) return b0 | (1L << 32);
        int need;
        int cp;
        int min;
        if (b0 >= 0xC2 && b0 <= 0xDF) { need = 1; cp = b0 & 0x1F; min = 0x80; }
        else if (b0 >= 0xE0 && b0 <= 0xEF) { need = 2; cp = b0 & 0x0F; min = 0x800; }
        else if (b0 >= 0xF0 && b0 <= 0xF4) { need = 3; cp = b0 & 0x07; min = 0x10000; }
        else return 0xFFFFFFFFL | (1L << 32);
        if (i + need >= end) return 0xFFFFFFFFL | (1L << 32);
        for (int k = 1; k <= need; k++) {
            int bk = b[i + k] & 0xFF;
            if ((bk & 0xC0) != 0x80) return 0xFFFFFFFFL | (1L << 32);
            cp = (cp << 6) | (bk & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFFFFFFL | (1L << 32);
        return (cp & 0xFFFFFFFFL) | ((long) (need + 1) << 32);
    }

    /** Splits {@code utf8[from, to)} into chunks, in order, covering every byte exactly once. */
    public void split(byte[] utf8, int from, int to, ChunkSink sink) {
        if (this == GPT4) splitGpt4(utf8, from, to, sink);
        else splitGpt2(utf8, from, to, sink);
    }

    // A small cursor over code points; kept as static helpers on (bytes, position) for speed.
    private static int cpAt(long packed) {
        return (int) packed;
    }

    private static int lenAt(long packed) {
        return (int) (packed >>> 32);
    }

    private static int classAt(byte[] b, int i, int end) {
        int b0 = b[i];
        if (b0 >= 0) return ASCII_CLASS[b0];
        int cp = cpAt(decode(b, i, end));
        return cp == -1 ? OTHER : classOf(cp);
    }

    private static int next(byte[] b, int i, int end) {
        if (b[i] >= 0) return i + 1;
        return i + lenAt(decode(b, i, end));
    }

    /** End of the run of code points of class {@code mask} starting at {@code i}. */
    private static int scan(byte[] b, int i, int end, int mask) {
        while (i < end) {
            int b0 = b[i];
            if (b0 >= 0) {
                if ((ASCII_CLASS[b0] & mask) == 0) return i;
                i++;
            } else {
                long p = decode(b, i, end);
                int cp = cpAt(p);
                int k = cp == -1 ? OTHER : classOf(cp);
                if ((k & mask) == 0) return i;
                i += lenAt(p);
            }
        }
        return i;
    }

    private static boolean isAsciiLower(byte[] b, int i, int end, char lower) {
        if (i >= end) return false;
        int c = b[i];
        return c == lower || c == lower - 32;
    }

    /** Length of a GPT-4 contraction suffix after the apostrophe at {@code i}, or 0. Case-insensitive (Unicode). */
    private static int contraction4(byte[] b, int i, int end) {
        int j = i + 1;
        if (j >= end) return 0;
        int c = b[j];
        if (c == 's' || c == 'S' || c == 'd' || c == 'D' || c == 'm' || c == 'M' || c == 't' || c == 'T') return 2;
        // U+017F LATIN SMALL LETTER LONG S folds to 's' under Unicode case-insensitive matching.
        if ((c & 0xFF) == 0xC5 && j + 1 < end && (b[j + 1] & 0xFF) == 0xBF) return 3;
        if (isAsciiLower(b, j, end, 'l') && isAsciiLower(b, j + 1, end, 'l')) return 3;
        if (isAsciiLower(b, j, end, 'v') && isAsciiLower(b, j + 1, end, 'e')) return 3;
        if (isAsciiLower(b, j, end, 'r') && isAsciiLower(b, j + 1, end, 'e')) return 3;
        return 0;
    }

    private static int contraction2(byte[] b, int i, int end) {
        int j = i + 1;
        if (j >= end) return 0;
        int c = b[j];
        if (c == 's' || c == 'd' || c == 'm' || c == 't') return 2;
        if (j + 1 < end) {
            int c2 = b[j + 1];
            if ((c == 'l' && c2 == 'l') || (c == 'v' && c2 == 'e') || (c == 'r' && c2 == 'e')) return 3;
        }
        return 0;
    }

    /** For the \s alternatives: the chunk starting at whitespace {@code i}, whose run ends at {@code run}. */
    private static int whitespaceChunk(byte[] b, int i, int run, int to, boolean newlineAlternative) {
        if (newlineAlternative) {
            // \s*[\r\n]: the longest prefix of the run that ends in \r or \n.
            for (int k = run - 1; k >= i; k--) {
                if (b[k] == '\n' || b[k] == '\r') return k + 1;
            }
        }
        if (run == to) return run; // \s+(?!\S) at the end of text takes the whole run
        // \s+(?!\S): leave the last whitespace code point for the next chunk (it joins the following word).
        int last = i;
        int k = i;
        while (k < run) {
            last = k;
            k = next(b, k, to);
        }
        return last > i ? last : next(b, i, to);
    }

    private static void splitGpt4(byte[] b, int from, int to, ChunkSink sink) {
        int i = from;
        while (i < to) {
            int start = i;
            int c0 = b[i];
            int cls = classAt(b, i, to);
            int end;
            if (c0 == '\'' && (end = contraction4(b, i, to)) > 0) {
                end = i + end;
            } else if ((cls & LETTER) != 0) {
                end = scan(b, i, to, LETTER);
            } else if ((cls & (NUMBER | NEWLINE)) == 0 && nextIs(b, i, to, LETTER)) {
                // [^\r\n\p{L}\p{N}]?+\p{L}+ : one leading non-letter (a space, punctuation) glued to a word
                end = scan(b, next(b, i, to), to, LETTER);
            } else if ((cls & NUMBER) != 0) {
                end = i;
                for (int k = 0; k < 3 && end < to && (classAt(b, end, to) & NUMBER) != 0; k++) end = next(b, end, to);
            } else if ((cls & OTHER) != 0 || (c0 == ' ' && nextIs(b, i, to, OTHER))) {
                // ' ?[^\s\p{L}\p{N}]++[\r\n]*'
                int j = c0 == ' ' ? i + 1 : i;
                j = scan(b, j, to, OTHER);
                while (j < to && (b[j] == '\r' || b[j] == '\n')) j++;
                end = j;
            } else {
                end = whitespaceChunk(b, i, scan(b, i, to, SPACE), to, true);
            }
            sink.chunk(b, start, end);
            i = end;
        }
    }

    private static void splitGpt2(byte[] b, int from, int to, ChunkSink sink) {
        int i = from;
        while (i < to) {
            int start = i;
            int c0 = b[i];
            int end;
            if (c0 == '\'' && (end = contraction2(b, i, to)) > 0) {
                end = i + end;
            } else {
                int j = (c0 == ' ' && i + 1 < to) ? i + 1 : i;
                int cls = classAt(b, j, to);
                if (j > i && (cls & SPACE) != 0) {
                    j = i; // the space is not a prefix: it starts a whitespace run
                    cls = SPACE;
                }
                if ((cls & LETTER) != 0) end = scan(b, j, to, LETTER);
                else if ((cls & NUMBER) != 0) end = scan(b, j, to, NUMBER);
                else if ((cls & OTHER) != 0) end = scan(b, j, to, OTHER);
                else end = whitespaceChunk(b, i, scan(b, i, to, SPACE), to, false);
            }
            sink.chunk(b, start, end);
            i = end;
        }
    }

    private static boolean nextIs(byte[] b, int i, int to, int mask) {
        int j = next(b, i, to);
        return j < to && (classAt(b, j, to) & mask) != 0;
    }
}
