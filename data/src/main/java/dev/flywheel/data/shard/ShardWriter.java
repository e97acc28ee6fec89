package dev.flywheel.data.shard;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Split;
import dev.flywheel.engine.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/** Writes one shard file (see {@link ShardFormat}) under a temporary name and renames it into place. */
public final class ShardWriter {
    private ShardWriter() {}

    /** Supplies the shard's token ids in order, {@code count} at a time. */
    @FunctionalInterface
    public interface TokenSource {
        void next(int[] into, int count) throws IOException;
    }

    public static void write(Path file, int vocabSize, String tokenizerHash, Split split, int shardIndex,
                             List<ShardFormat.DocumentEntry> documents, long tokenCount, TokenSource tokens) {
        int width = ShardFormat.tokenWidth(vocabSize);
        byte[] hash = HexFormat.of().parseHex(tokenizerHash);
        if (hash.length != 32) throw new IllegalArgumentException("tokenizer hash must be SHA-256");
        long indexBytes = 0;
        for (var d : documents) indexBytes += 8 + 4 + 2 + d.id().getBytes(StandardCharsets.UTF_8).length;
        long headerLength = (ShardFormat.FIXED_HEADER + indexBytes + 7) / 8 * 8;
        if (headerLength > Integer.MAX_VALUE) throw new DataException("shard " + file + " would have a document index over 2 GB; use smaller shards");
        var crc = new CRC32C();
        Path tmp = AtomicFiles.temporarySibling(file);
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            buf.put(ShardFormat.MAGIC).putInt(ShardFormat.VERSION).putInt((int) headerLength).putInt(vocabSize).putInt(width)
                    .putLong(tokenCount).putLong(documents.size()).put(hash).putInt(split.ordinal()).putInt(shardIndex);
            for (var d : documents) {
                byte[] id = d.id().getBytes(StandardCharsets.UTF_8);
                if (id.length > 65535) throw new DataException("document id too long (" + id.length + " bytes): " + d.id().substring(0, 80) + "...");
                if (buf.remaining() < 14 + id.length) flush(out, buf, crc);
                buf.putLong(d.firstToken()).putInt(d.flags()).putShort((short) id.length).put(id);
            }
            long written = ShardFormat.FIXED_HEADER + indexBytes;
            while (written < headerLength) {
                if (!buf.hasRemaining()) flush(out, buf, crc);
                buf.put((byte) 0);
                written++;
            }
            int[] ids = new int[1 << 16];
            long left = tokenCount;
            while (left > 0) {
                int n = (int) Math.min(ids.length, left);
                tokens.next(ids, n);
                if (buf.remaining() < n * width) flush(out, buf, crc);
                for (int i = 0; i < n; i++) {
                    int id = ids[i];
                    if (id < 0 || id >= vocabSize) throw new IllegalStateException("token id " + id + " outside the vocabulary of " + vocabSize);
                    if (width == 2) buf.putShort((short) id);
                    else buf.putInt(id);
                }
                left -= n;
            }
            flush(out, buf, crc);
            buf.putInt((int) crc.getValue()).put(ShardFormat.END);
            buf.flip();
            while (buf.hasRemaining()) out.write(buf);
            out.force(false);
        } catch (IOException e) {
            try {
                java.nio.file.Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the temporary name is never read
            }
            throw new DataException("cannot write shard " + file + " (" + e.getMessage() + "); check free disk space and permissions", e);
        }
        try {
            AtomicFiles.moveIntoPlace(tmp, file);
        } catch (IOException e) {
            throw new DataException("cannot move shard into place at " + file + " (" + e.getMessage() + ")", e);
        }
    }

    /** Convenience for whole arrays (tests, small data). */
    public static void write(Path file, int vocabSize, String tokenizerHash, Split split, int shardIndex,
                             List<ShardFormat.DocumentEntry> documents, int[] tokens) {
        int[] pos = {0};
        write(file, vocabSize, tokenizerHash, split, shardIndex, documents, tokens.length, (into, count) -> {
            System.arraycopy(tokens, pos[0], into, 0, count);
            pos[0] += count;
        });
    }

    private static void flush(FileChannel out, ByteBuffer buf, CRC32C crc) throws IOException {
        buf.flip();
        crc.update(buf.duplicate());
        while (buf.hasRemaining()) out.write(buf);
        buf.clear();
    }
}
