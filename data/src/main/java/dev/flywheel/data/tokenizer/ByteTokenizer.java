package dev.flywheel.data.tokenizer;

import dev.flywheel.data.util.IntList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** One token per byte (ids 0..255) plus {@code <|endoftext|>} (id 256): no training, no unknown input. */
public final class ByteTokenizer implements Tokenizer {
    public static final int END_OF_TEXT_ID = 256;
    private static final int[] TOKEN_BYTES;

    static {
        TOKEN_BYTES = new int[257];
        Arrays.fill(TOKEN_BYTES, 0, 256, 1);
    }

    private static final ByteTokenizer INSTANCE = new ByteTokenizer();

    private ByteTokenizer() {}

    public static ByteTokenizer instance() {
        return INSTANCE;
    }

    @Override
    public Kind kind() {
        return Kind.BYTE;
    }

    @Override
    public int vocabSize() {
        return 257;
    }

    @Override
    public void encodeInto(byte[] utf8, int from, int to, IntList out) {
        for (int i = from; i < to; i++) out.add(utf8[i] & 0xFF);
    }

    @Override
    public byte[] decodeBytes(int[] ids, int from, int to) {
        var out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id == END_OF_TEXT_ID) out.writeBytes(END_OF_TEXT.getBytes(StandardCharsets.UTF_8));
            else if (id >= 0 && id < 256) out.write(id);
            else throw new IllegalArgumentException("token id " + id + " is outside the byte vocabulary (0..256)");
        }
        return out.toByteArray();
    }

    @Override
    public int[] tokenBytes() {
        return TOKEN_BYTES;
    }

    @Override
    public int endOfText() {
        return END_OF_TEXT_ID;
    }
}
