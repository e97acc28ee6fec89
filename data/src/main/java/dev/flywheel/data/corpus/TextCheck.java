package dev.flywheel.data.corpus;

import java.nio.charset.Charset;

/**
 * Decides whether raw bytes are text, and makes them valid UTF-8.
 *
 * <p>Binary content (a NUL byte, or more than 10% control characters) is refused. Bytes that are not valid UTF-8
 * are decoded as Windows-1252 — the usual culprit when encodings are mixed, so "caf\xE9" becomes "café" instead
 * of losing the letter — and the document is recorded as repaired. If more than a third of the bytes are invalid
 * the input is some other encoding or binary, and is refused rather than turned into noise.
 */
public final class TextCheck {
    private TextCheck() {}

    public static final String BINARY = "binary content (NUL or control bytes), not text";
    public static final String NOT_UTF8 = "not UTF-8 text (over a third of the bytes are invalid UTF-8)";
    public static final String REPAIRED = "invalid UTF-8 bytes decoded as Windows-1252";
    public static final String EMPTY = "empty (no text)";

    private static final Charset CP1252 = Charset.forName("windows-1252");

    /** The outcome of checking one document. */
    public sealed interface Verdict {
        record Text(byte[] utf8, boolean repaired) implements Verdict {}

        record Refused(String reason) implements Verdict {}
    }

    public static Verdict check(byte[] b, int from, int to) {
        if (to <= from) return new Verdict.Refused(EMPTY);
        int controls = 0;
        int invalid = 0;
        int i = from;
        boolean blank = true;
        while (i < to) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                if (c == 0) return new Verdict.Refused(BINARY);
                if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x0B && c != 0x1B) controls++;
                if (c > ' ') blank = false;
                i++;
                continue;
            }
            blank = false;
            int n = validSequence(b, i, to);
            if (n == 0) {
                invalid++;
                i++;
            } else i += n;
        }
        int len = to - from;
        if (controls * 10L > len) return new Verdict.Refused(BINARY);
        if (blank) return new Verdict.Refused(EMPTY);
        if (invalid == 0) {
            byte[] out = (from == 0 && to == b.length) ? b : java.util.Arrays.copyOfRange(b, from, to);
            return new Verdict.Text(out, false);
        }
        if (invalid * 3L > len) return new Verdict.Refused(NOT_UTF8);
        return new Verdict.Text(repair(b, from, to), true);
    }

    /** Length of the valid UTF-8 sequence at {@code i} (2..4), or 0 when the byte there starts none. */
    static int validSequence(byte[] b, int i, int to) {
        int b0 = b[i] & 0xFF;
        int need;
        int lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
        else if (b0 == 0xE0) { need = 2; lo = 0xA0; }
        else if (b0 == 0xED) { need = 2; hi = 0x9F; }
        else if (b0 >= 0xE1 && b0 <= 0xEF) need = 2;
        else if (b0 == 0xF0) { need = 3; lo = 0x90; }
        else if (b0 == 0xF4) { need = 3; hi = 0x8F; }
        else if (b0 >= 0xF1 && b0 <= 0xF3) need = 3;
        else return 0;
        if (i + need >= to) return 0;
        int b1 = b[i + 1] & 0xFF;
        if (b1 < lo || b1 > hi) return 0;
        for (int k = 2; k <= need; k++) {
            if ((b[i + k] & 0xC0) != 0x80) return 0;
        }
        return need + 1;
    }

    private static byte[] repair(byte[] b, int from, int to) {
        var out = new java.io.ByteArrayOutputStream(to - from + 16);
        int i = from;
        while (i < to) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                out.write(c);
                i++;
                continue;
            }
            int n = validSequence(b, i, to);
            if (n > 0) {
                out.write(b, i, n);
                i += n;
            } else {
                out.writeBytes(new String(new byte[] {(byte) c}, CP1252).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                i++;
            }
        }
        return out.toByteArray();
    }
}
