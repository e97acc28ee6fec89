package dev.flywheel.data.shard;

import java.nio.charset.StandardCharsets;

/**
 * The shard file layout (all numbers little-endian):
 * <pre>
 * offset  size  field
 *      0     8  magic "FLYSHARD"
 *      8     4  format version (1)
 *     12     4  header length H: where the token ids start (a multiple of 8)
 *     16     4  vocabulary size
 *     20     4  bytes per token id: 2 (uint16, when the vocabulary fits) or 4 (uint32)
 *     24     8  token count N
 *     32     8  document count D
 *     40    32  tokenizer hash (SHA-256 of the tokenizer's canonical form)
 *     72     4  split (0 train, 1 val, 2 test)
 *     76     4  shard number within the split
 *     80     …  document index, D entries: u64 first token (within this shard), u32 flags, u16 id length, id (UTF-8)
 *      …     …  zero padding up to H
 *      H   N·w  token ids
 *  H+N·w     4  CRC32C of every byte before it
 *  H+N·w+4   4  end magic "DONE"
 * </pre>
 * The file length is fixed by the header, so a truncated shard is recognised before the checksum is computed.
 * Flag bit 0 marks a document that began in the previous shard (a contiguous split cuts documents).
 */
public final class ShardFormat {
    private ShardFormat() {}

    public static final byte[] MAGIC = "FLYSHARD".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] END = "DONE".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int FIXED_HEADER = 80;
    public static final int TRAILER = 8;
    public static final int CONTINUED = 1;

    /** uint16 ids when every id fits, else uint32. */
    public static int tokenWidth(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    /** A document's entry in a shard's index. */
    public record DocumentEntry(String id, long firstToken, int flags) {
        public boolean continued() {
            return (flags & CONTINUED) != 0;
        }
    }
}
