package dev.flywheel.data.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Cuts a stream of text into documents, so that one big file (tinyshakespeare, a book, a log) becomes many
 * documents that a split by document id can spread over train, validation and test.
 *
 * <ul>
 *   <li>If the text marks its documents with {@code <|endoftext|>} lines (the TinyStories layout), each marked
 *       span is a document and the marker lines are dropped.</li>
 *   <li>Otherwise a block ends at a blank line once it holds at least {@code minBlockBytes}; trailing blank
 *       lines stay with the block before them, so the blocks concatenate back to the exact file.</li>
 *   <li>Any block is cut at {@code maxDocumentBytes} — at the last line end if there is one, else inside the
 *       line at a character boundary — so a 50 MB single line streams through in bounded memory.</li>
 * </ul>
 * Ids are {@code name:line} (the block's first line, 1-based), {@code name:line@offset} for a piece that starts
 * {@code offset} bytes into a line, and just {@code name} when the whole stream is one block.
 */
public final class TextBlocks {
    private TextBlocks() {}

    public static final String SEPARATOR = "<|endoftext|>";
    private static final byte[] SEPARATOR_BYTES = SEPARATOR.getBytes(StandardCharsets.US_ASCII);
    private static final int PEEK = 1 << 20;

    /** Receives one block: its id and bytes {@code [0, length)} of a buffer that is reused afterwards. */
    @FunctionalInterface
    public interface BlockSink {
        boolean block(String id, byte[] bytes, int length);
    }

    /**
     * Splits {@code in}; returns false if the sink asked to stop. {@code minBlockBytes} = Integer.MAX_VALUE keeps
     * the whole stream as one document (unless it has separators or is larger than {@code maxDocumentBytes}).
     */
    public static boolean split(InputStream in, String name, int minBlockBytes, int maxDocumentBytes, BlockSink sink) throws IOException {
        // Read the first megabyte to choose the mode; most files end within it.
        byte[] head = new byte[1 << 14];
        int headLength = 0;
        int n;
        while (headLength < PEEK) {
            if (headLength == head.length) head = Arrays.copyOf(head, Math.min(PEEK, head.length * 2));
            n = in.read(head, headLength, head.length - headLength);
            if (n < 0) break;
            headLength += n;
        }
        boolean separators = hasSeparatorLine(head, headLength);
        boolean whole = headLength < PEEK;
        if (whole && !separators && minBlockBytes == Integer.MAX_VALUE && headLength <= maxDocumentBytes) {
            // the common case inside folders and archives: the file is one document, no need to look at lines
            return headLength == 0 || sink.block(name, head, headLength);
        }
        var splitter = new Splitter(name, minBlockBytes, maxDocumentBytes, sink);
        splitter.separatorMode = separators;
        if (!splitter.feed(head, headLength)) return false;
        if (!whole) {
            byte[] chunk = new byte[1 << 16];
            while ((n = in.read(chunk, 0, chunk.length)) >= 0) {
                if (n > 0 && !splitter.feed(chunk, n)) return false;
            }
        }
        return splitter.finish();
    }

    static boolean hasSeparatorLine(byte[] b, int length) {
        outer:
        for (int i = 0; i + SEPARATOR_BYTES.length <= length; i++) {
            if (i > 0 && b[i - 1] != '\n') continue;
            for (int k = 0; k < SEPARATOR_BYTES.length; k++) if (b[i + k] != SEPARATOR_BYTES[k]) continue outer;
            int end = i + SEPARATOR_BYTES.length;
            if (end == length || b[end] == '\n' || b[end] == '\r') return true;
        }
        return false;
    }

    private static final class Splitter {
        final String name;
        final int minBlock;
        final int maxDoc;
        final BlockSink sink;
        boolean separatorMode;

        byte[] buf = new byte[1 << 13];
        int len;
        long line = 1;             // line number of the byte being read
        int lineStart;             // where the current line starts in buf
        boolean lineBlank = true;  // the current line has only spaces, tabs or CR so far
        long lineBytesBefore;      // bytes of the current line already emitted in earlier pieces
        long blockLine = 1;        // first line of the current block
        long blockOffset;          // byte offset into that line where the block starts
        boolean cutPending;        // a blank line ended a block big enough; cut before the next text
        int emitted;
        String heldId;             // the first block waits: if it stays alone its id is just the name
        byte[] held;

        Splitter(String name, int minBlock, int maxDoc, BlockSink sink) {
            this.name = name;
            this.minBlock = minBlock;
            this.maxDoc = Math.max(16, maxDoc);
            this.sink = sink;
        }

        boolean feed(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                byte c = b[i];
                if (cutPending && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                    // text after the blank line(s): the block ends where this line starts
                    if (!emitUpTo(lineStart)) return false;
                    blockLine = line;
                    blockOffset = 0;
                    cutPending = false;
                }
                if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
                buf[len++] = c;
                if (c == '\n') {
                    if (!endOfLine()) return false;
                } else if (c != ' ' && c != '\t' && c != '\r') {
                    lineBlank = false;
                }
                if (len >= maxDoc && !cutOversized()) return false;
            }
            return true;
        }

        private boolean endOfLine() {
            int lineEnd = len;
            if (separatorMode && isSeparator(lineStart, lineEnd)) {
                len = lineStart; // drop the marker line
                if (!emitUpTo(len)) return false;
                blockLine = line + 1;
                blockOffset = 0;
            } else if (!separatorMode && lineBlank && lineStart >= minBlock) {
                cutPending = true;
            }
            line++;
            lineStart = len;
            lineBlank = true;
            lineBytesBefore = 0;
            return true;
        }

        private boolean isSeparator(int from, int to) {
            int end = to;
            while (end > from && (buf[end - 1] == '\n' || buf[end - 1] == '\r')) end--;
            if (end - from != SEPARATOR_BYTES.length) return false;
            return Arrays.equals(buf, from, end, SEPARATOR_BYTES, 0, SEPARATOR_BYTES.length);
        }

        private boolean cutOversized() {
            if (lineStart > 0) {
                // cut at the last line end; the partial line starts the next block
                if (!emitUpTo(lineStart)) return false;
                blockLine = line;
                blockOffset = lineBytesBefore;
                cutPending = false;
                return true;
            }
            // one line fills the whole block: cut inside it, at a UTF-8 character boundary
            int cut = len;
            for (int k = 0; k < 3 && cut > 1 && (buf[cut - 1] & 0xC0) == 0x80; k++) cut--;
            if (cut > 1 && (buf[cut - 1] & 0xC0) == 0xC0) cut--;
            if (cut <= 0) cut = len;
            long startOffset = blockOffset;
            if (!emitUpTo(cut)) return false;
            lineBytesBefore += cut;
            blockLine = line;
            blockOffset = startOffset + cut;
            return true;
        }

        /** Emits buf[0, end) as a block and keeps buf[end, len) as the start of the next. */
        private boolean emitUpTo(int end) {
            boolean ok = true;
            if (end > 0) ok = emit(idOf(blockLine, blockOffset), buf, end);
            System.arraycopy(buf, end, buf, 0, len - end);
            len -= end;
            lineStart = Math.max(0, lineStart - end);
            return ok;
        }

        private String idOf(long line, long offset) {
            return offset == 0 ? name + ":" + line : name + ":" + line + "@" + offset;
        }

        private boolean emit(String id, byte[] bytes, int length) {
            emitted++;
            if (emitted == 1) {
                heldId = id;
                held = Arrays.copyOf(bytes, length);
                return true;
            }
            if (held != null) {
                byte[] h = held;
                held = null;
                if (!sink.block(heldId, h, h.length)) return false;
            }
            return sink.block(id, bytes, length);
        }

        boolean finish() {
            if (len > 0 && !emit(idOf(blockLine, blockOffset), buf, len)) return false;
            len = 0;
            if (held != null) {
                String id = heldId.equals(name + ":1") ? name : heldId;
                byte[] h = held;
                held = null;
                return sink.block(id, h, h.length);
            }
            return true;
        }
    }
}
