package dev.flywheel.data.tokenizer;

import dev.flywheel.data.util.IntList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Bytes ↔ token ids. Encoding works on UTF-8 bytes and decoding gives the exact bytes back; text with invalid
 * UTF-8 is only repaired (U+FFFD) when {@link #decode} turns bytes into a String. Special tokens such as
 * {@code <|endoftext|>} are never produced by {@code encode} — a document that contains the literal text
 * "<|endoftext|>" is encoded as that text — the data pipeline inserts them between documents itself.
 */
public sealed interface Tokenizer permits ByteTokenizer, CharTokenizer, BpeTokenizer {

    /** The document separator of the byte and BPE tokenizers. */
    String END_OF_TEXT = "<|endoftext|>";

    enum Kind {
        BYTE, CHAR, BPE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Parses byte|char|bpe, with a message that lists the choices. */
        public static Kind parse(String text) {
            for (Kind k : values()) if (k.label().equalsIgnoreCase(text.trim())) return k;
            throw new dev.flywheel.data.DataException("unknown tokenizer '" + text + "'; choose byte, char or bpe");
        }
    }

    Kind kind();

    /** Number of token ids, special tokens included; ids are 0 .. vocabSize-1. */
    int vocabSize();

    /** Appends the ids of {@code utf8[from, to)} to {@code out}. Thread-safe. */
    void encodeInto(byte[] utf8, int from, int to, IntList out);

    default int[] encode(byte[] utf8) {
        var out = new IntList(utf8.length / 3 + 16);
        encodeInto(utf8, 0, utf8.length, out);
        return out.toArray();
    }

    default int[] encode(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The exact bytes of {@code ids[from, to)}; a special token decodes to its own text, e.g. "<|endoftext|>". */
    byte[] decodeBytes(int[] ids, int from, int to);

    default byte[] decodeBytes(int[] ids) {
        return decodeBytes(ids, 0, ids.length);
    }

    /** Text of the ids; invalid UTF-8 (a token boundary inside a character) becomes U+FFFD here and only here. */
    default String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /**
     * For each id, the number of UTF-8 bytes of document text it stands for (0 for special tokens). The engine
     * divides the summed loss by ln 2 · Σ tokenBytes[target] to report bits per byte, which does not depend on the
     * tokenizer. The returned array is shared: do not modify it.
     */
    int[] tokenBytes();

    /** Id of {@code <|endoftext|>}, or -1 when this tokenizer has none (the char tokenizer, like nanoGPT's). */
    int endOfText();

    /** SHA-256 (hex) of the tokenizer's canonical content: equal hashes mean equal encodings. */
    default String hash() {
        return TokenizerFiles.hash(this);
    }

    /** Writes the tokenizer in Flywheel's own format (JSON), atomically. */
    default void save(Path file) {
        TokenizerFiles.save(this, file);
    }

    /** Reads a tokenizer written by {@link #save}. */
    static Tokenizer load(Path file) {
        return TokenizerFiles.load(file);
    }

    /** One line for people: kind, vocabulary and hash prefix. */
    default String describe() {
        return kind().label() + " tokenizer, " + vocabSize() + " tokens, hash " + hash().substring(0, 12);
    }
}
