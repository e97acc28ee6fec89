package dev.flywheel.data.shard;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Split;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * A shard opened for reading: the file is memory-mapped, and checked completely before any token is handed
 * out — magic, version, length against the header, end marker, CRC32C — so a truncated or corrupt shard is
 * refused with a message naming the file and the fix, never read as garbage tokens. Thread-safe.
 */
public final class Shard {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment data;
    private final int vocabSize;
    private final int width;
    private final long tokenCount;
    private final String tokenizerHash;
    private final Split split;
    private final int index;
    private final long tokensAt;
    private final long[] firstTokens;
    private final int[] flags;
    private final String[] ids;

    private Shard(Path file, MemorySegment data, int vocabSize, int width, long tokenCount, String tokenizerHash, Split split,
                  int index, long tokensAt, long[] firstTokens, int[] flags, String[] ids) {
        this.file = file;
        this.data = data;
        this.vocabSize = vocabSize;
        this.width = width;
        this.tokenCount = tokenCount;
        this.tokenizerHash = tokenizerHash;
        this.split = split;
        this.index = index;
        this.tokensAt = tokensAt;
        this.firstTokens = firstTokens;
        this.flags = flags;
        this.ids = ids;
    }

    private static DataException corrupt(Path file, String why) {
        return new DataException("shard " + file + " is corrupt (" + why + "); delete its data directory and prepare the data again"
                + " (flywheel data prepare, or rerun the command that made it)");
    }

    public static Shard open(Path file) {
        MemorySegment data;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            data = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
            if (size == 0) throw corrupt(file, "the file is empty");
        } catch (NoSuchFileException e) {
            throw new DataException("shard " + file + " is missing; delete its data directory and prepare the data again");
        } catch (IOException e) {
            throw new DataException("cannot read shard " + file + " (" + e.getMessage() + ")", e);
        }
        long size = data.byteSize();
        if (size < ShardFormat.FIXED_HEADER + ShardFormat.TRAILER) throw corrupt(file, "only " + size + " bytes: truncated");
        byte[] magic = data.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(magic, ShardFormat.MAGIC)) throw corrupt(file, "it does not start with FLYSHARD: not a Flywheel shard");
        int version = data.get(U32, 8);
        if (version != ShardFormat.VERSION) {
            throw new DataException("shard " + file + " has format version " + version + " but this Flywheel reads version "
                    + ShardFormat.VERSION + "; prepare the data again with this version");
        }
        long headerLength = data.get(U32, 12) & 0xFFFFFFFFL;
        int vocab = data.get(U32, 16);
        int width = data.get(U32, 20);
        long count = data.get(U64, 24);
        long docs = data.get(U64, 32);
        if ((width != 2 && width != 4) || vocab < 1 || count < 0 || docs < 0 || headerLength < ShardFormat.FIXED_HEADER) {
            throw corrupt(file, "impossible header values");
        }
        // counts a damaged header declares must fit the file before they are multiplied or allocated
        if (count > size / width) throw corrupt(file, "truncated: the header promises " + count + " tokens");
        if (docs > (headerLength - ShardFormat.FIXED_HEADER) / 14)
            throw corrupt(file, "the header promises " + docs + " documents, more than its index can hold");
        long expected = headerLength + count * width + ShardFormat.TRAILER;
        if (size != expected) {
            throw corrupt(file, size < expected ? "truncated: " + size + " bytes, the header promises " + expected
                    : size + " bytes, the header promises " + expected);
        }
        byte[] end = data.asSlice(size - 4, 4).toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(end, ShardFormat.END)) throw corrupt(file, "no end marker");
        var crc = new CRC32C();
        long body = size - ShardFormat.TRAILER;
        for (long off = 0; off < body; off += 1 << 30) crc.update(data.asSlice(off, Math.min(1 << 30, body - off)).asByteBuffer());
        if ((int) crc.getValue() != data.get(U32, body)) throw corrupt(file, "checksum mismatch");
        String hash = HexFormat.of().formatHex(data.asSlice(40, 32).toArray(ValueLayout.JAVA_BYTE));
        int splitOrdinal = data.get(U32, 72);
        if (splitOrdinal < 0 || splitOrdinal >= Split.values().length) throw corrupt(file, "unknown split " + splitOrdinal);
        int shardIndex = data.get(U32, 76);
        if (docs > Integer.MAX_VALUE) throw corrupt(file, "too many documents");
        long[] first = new long[(int) docs];
        int[] flags = new int[(int) docs];
        String[] ids = new String[(int) docs];
        long p = ShardFormat.FIXED_HEADER;
        for (int i = 0; i < docs; i++) {
            if (p + 14 > headerLength) throw corrupt(file, "document index runs past the header");
            first[i] = data.get(U64, p);
            flags[i] = data.get(U32, p + 8);
            int len = data.get(U16, p + 12) & 0xFFFF;
            if (p + 14 + len > headerLength) throw corrupt(file, "document index runs past the header");
            ids[i] = new String(data.asSlice(p + 14, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            if (first[i] < 0 || first[i] > count || (i > 0 && first[i] < first[i - 1])) throw corrupt(file, "document index out of order");
            p += 14 + len;
        }
        return new Shard(file, data, vocab, width, count, hash, Split.values()[splitOrdinal], shardIndex, headerLength, first, flags, ids);
    }

    public Path file() {
        return file;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** Bytes per token id: 2 or 4. */
    public int tokenWidth() {
        return width;
    }

    /** Where the token ids start in the file (the header length H): what another reader memory-maps from. */
    public long tokensOffset() {
        return tokensAt;
    }

    public long tokenCount() {
        return tokenCount;
    }

    public String tokenizerHash() {
        return tokenizerHash;
    }

    public Split split() {
        return split;
    }

    public int index() {
        return index;
    }

    public int documentCount() {
        return ids.length;
    }

    public int token(long i) {
        if (i < 0 || i >= tokenCount) throw new IndexOutOfBoundsException("token " + i + " of " + tokenCount);
        long at = tokensAt + i * width;
        return width == 2 ? data.get(U16, at) & 0xFFFF : data.get(U32, at);
    }

    /** Copies tokens {@code [from, from+count)} into {@code dst[off..]}. */
    public void read(long from, int[] dst, int off, int count) {
        if (from < 0 || from + count > tokenCount) throw new IndexOutOfBoundsException("tokens " + from + "+" + count + " of " + tokenCount);
        long at = tokensAt + from * width;
        if (width == 2) {
            for (int i = 0; i < count; i++) dst[off + i] = data.get(U16, at + 2L * i) & 0xFFFF;
        } else {
            MemorySegment.copy(data, U32, at, dst, off, count);
        }
    }

    /** The document holding token {@code i}: the last one whose first token is ≤ i. */
    public int documentAt(long i) {
        int k = Arrays.binarySearch(firstTokens, i);
        if (k < 0) k = -k - 2;
        else while (k + 1 < firstTokens.length && firstTokens[k + 1] == i) k++; // empty documents share a start
        return Math.max(0, k);
    }

    public ShardFormat.DocumentEntry document(int k) {
        return new ShardFormat.DocumentEntry(ids[k], firstTokens[k], flags[k]);
    }

    /** First token after document {@code k} (its end, exclusive). */
    public long documentEnd(int k) {
        return k + 1 < firstTokens.length ? firstTokens[k + 1] : tokenCount;
    }
}
