package dev.flywheel.data.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How often each pre-split chunk occurs in the tokenizer's training text — the only thing BPE training needs
 * from the corpus. Counting is the part that scales with the corpus, so it runs on several threads, each over
 * its own share of the documents, and the per-thread tables are added up at the end.
 */
public final class ChunkCounts {
    private final PreSplit preSplit;
    private byte[][] keys;
    private long[] counts;
    private int[] hashes;
    private int size;
    private long total;
    private long bytes;

    public ChunkCounts(PreSplit preSplit) {
        this.preSplit = preSplit;
        keys = new byte[1 << 14][];
        counts = new long[1 << 14];
        hashes = new int[1 << 14];
    }

    public PreSplit preSplit() {
        return preSplit;
    }

    /**
     * Chunks longer than this are counted in pieces of this size. A token that long is never worth a vocabulary
     * slot, and the trainer rescans a word on every merge that touches it, so one 4 MB run of a single letter
     * (adversarial input, minified files) would otherwise cost millions of operations per merge.
     */
    public static final int MAX_TRAINING_CHUNK = 256;

    /** Counts the chunks of one document. Not thread-safe: give each thread its own instance. */
    public void add(byte[] utf8, int from, int to) {
        bytes += to - from;
        preSplit.split(utf8, from, to, (b, s, e) -> {
            for (int p = s; p < e; p += MAX_TRAINING_CHUNK) add(b, p, Math.min(e, p + MAX_TRAINING_CHUNK), 1);
        });
    }

    public void add(byte[] utf8) {
        add(utf8, 0, utf8.length);
    }

    private void add(byte[] b, int s, int e, long count) {
        int h = BpeTokenizer.ChunkCache.hash(b, s, e);
        int mask = keys.length - 1;
        int i = h & mask;
        int n = e - s;
        while (true) {
            byte[] k = keys[i];
            if (k == null) {
                keys[i] = Arrays.copyOfRange(b, s, e);
                counts[i] = count;
                hashes[i] = h;
                total += count;
                if (++size * 2 > keys.length) grow();
                return;
            }
            if (hashes[i] == h && k.length == n && Arrays.equals(k, 0, n, b, s, e)) {
                counts[i] += count;
                total += count;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    private void grow() {
        byte[][] oldKeys = keys;
        long[] oldCounts = counts;
        int[] oldHashes = hashes;
        int cap = oldKeys.length * 2;
        keys = new byte[cap][];
        counts = new long[cap];
        hashes = new int[cap];
        int mask = cap - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] == null) continue;
            int i = oldHashes[j] & mask;
            while (keys[i] != null) i = (i + 1) & mask;
            keys[i] = oldKeys[j];
            counts[i] = oldCounts[j];
            hashes[i] = oldHashes[j];
        }
    }

    /** Adds another table's counts to this one. */
    public void addAll(ChunkCounts other) {
        if (other.preSplit != preSplit) throw new IllegalArgumentException("different pre-splits");
        bytes += other.bytes;
        for (int j = 0; j < other.keys.length; j++) {
            byte[] k = other.keys[j];
            if (k != null) add(k, 0, k.length, other.counts[j]);
        }
    }

    /** Counts the chunks of many documents on {@code threads} threads. */
    public static ChunkCounts count(PreSplit preSplit, List<byte[]> documents, int threads) {
        if (threads <= 1 || documents.size() < 2) {
            var c = new ChunkCounts(preSplit);
            for (byte[] d : documents) c.add(d);
            return c;
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            var parts = new java.util.ArrayList<Future<ChunkCounts>>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    var c = new ChunkCounts(preSplit);
                    for (int i = first; i < documents.size(); i += threads) c.add(documents.get(i));
                    return c;
                }));
            }
            ChunkCounts result = null;
            for (var f : parts) {
                ChunkCounts c = f.get();
                if (result == null) result = c;
                else if (c.size > result.size) {
                    c.addAll(result);
                    result = c;
                } else result.addAll(c);
            }
            return result;
        } catch (Exception e) {
            throw new IllegalStateException("chunk counting failed", e);
        }
    }

    /** Number of distinct chunks. */
    public int unique() {
        return size;
    }

    /** Number of chunk occurrences. */
    public long total() {
        return total;
    }

    /** Bytes of text counted. */
    public long bytes() {
        return bytes;
    }

    @FunctionalInterface
    public interface Visitor {
        void visit(byte[] chunk, long count);
    }

    /** Visits every distinct chunk (in no particular order). */
    public void forEach(Visitor visitor) {
        for (int j = 0; j < keys.length; j++) if (keys[j] != null) visitor.visit(keys[j], counts[j]);
    }
}
