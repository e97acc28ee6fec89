package dev.flywheel.data.tokenizer;

import dev.flywheel.data.DataException;
import dev.flywheel.data.util.IntList;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One token per character: the vocabulary is the sorted set of distinct code points of the training text, exactly
 * nanoGPT's shakespeare_char ({@code chars = sorted(list(set(data)))}), so tinyshakespeare gives 65 tokens with
 * id 0 = '\n' and id 1 = ' '. No special tokens, like nanoGPT. Text with a character outside the vocabulary, or
 * with invalid UTF-8, cannot be encoded and is refused.
 */
public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints;
    private final int[] tokenBytes;
    private final byte[][] utf8;
    private final int[] bmpIds = new int[65536];
    private final Map<Integer, Integer> astralIds = new HashMap<>();

    /** A tokenizer over the given code points (sorted and de-duplicated here). */
    public CharTokenizer(int[] codePoints) {
        this.codePoints = Arrays.stream(codePoints).distinct().sorted().toArray();
        if (this.codePoints.length == 0) throw new DataException("the char tokenizer needs at least one character of text");
        Arrays.fill(bmpIds, -1);
        tokenBytes = new int[this.codePoints.length];
        utf8 = new byte[this.codePoints.length][];
        for (int id = 0; id < this.codePoints.length; id++) {
            int cp = this.codePoints[id];
            if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) throw new IllegalArgumentException("not a Unicode scalar value: " + cp);
            if (cp < 65536) bmpIds[cp] = id;
            else astralIds.put(cp, id);
            utf8[id] = Character.toString(cp).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            tokenBytes[id] = utf8[id].length;
        }
    }

    /** The vocabulary of a text: its distinct code points. */
    public static CharTokenizer of(String text) {
        return new CharTokenizer(text.codePoints().distinct().toArray());
    }

    /** A copy of the vocabulary, in id order. */
    public int[] codePoints() {
        return codePoints.clone();
    }

    @Override
    public Kind kind() {
        return Kind.CHAR;
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    public int idOf(int codePoint) {
        if (codePoint >= 0 && codePoint < 65536) return bmpIds[codePoint];
        return astralIds.getOrDefault(codePoint, -1);
    }

    @Override
    public void encodeInto(byte[] bytes, int from, int to, IntList out) {
        int i = from;
        while (i < to) {
            long p = PreSplit.decode(bytes, i, to);
            int cp = (int) p;
            if (cp == -1) {
                throw new DataException(String.format("the char tokenizer cannot encode the invalid UTF-8 byte 0x%02X at offset %d;"
                        + " use the byte or bpe tokenizer for text that is not valid UTF-8", bytes[i] & 0xFF, i - from));
            }
            int id = idOf(cp);
            if (id < 0) {
                throw new DataException(String.format("the char tokenizer has no token for U+%04X ('%s'), which its training text"
                        + " did not contain; prepare the data with this text included, or use the byte or bpe tokenizer", cp, Character.toString(cp)));
            }
            out.add(id);
            i += (int) (p >>> 32);
        }
    }

    @Override
    public byte[] decodeBytes(int[] ids, int from, int to) {
        var out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id < 0 || id >= utf8.length) throw new IllegalArgumentException("token id " + id + " is outside the char vocabulary (0.." + (utf8.length - 1) + ")");
            out.writeBytes(utf8[id]);
        }
        return out.toByteArray();
    }

    @Override
    public int[] tokenBytes() {
        return tokenBytes;
    }

    @Override
    public int endOfText() {
        return -1;
    }
}
