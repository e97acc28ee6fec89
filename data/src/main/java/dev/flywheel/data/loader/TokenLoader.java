package dev.flywheel.data.loader;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Split;
import dev.flywheel.data.shard.Shard;
import dev.flywheel.data.tokenizer.Tokenizer;
import dev.flywheel.data.util.Hashing;
import dev.flywheel.engine.BatchSource;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The trainer's batches from one split, nanoGPT style: each row is a window of seq+1 consecutive tokens at a
 * random offset of the split's token stream (all its shards, end to end), inputs the first seq, targets the last
 * seq. The offset is a hash of (seed, step, micro, row) — the loader keeps no state between calls — so any step
 * can be replayed, a resumed run continues exactly, and {@link #origin} can say afterwards which document any
 * token of any batch came from. Thread-safe.
 */
public final class TokenLoader implements BatchSource {
    private static final int SNIPPET_TOKENS = 24;

    private final Split split;
    private final List<Shard> shards;
    private final long[] shardStarts;
    private final long tokens;
    private final Tokenizer tokenizer;
    private final long seed;

    public TokenLoader(Split split, List<Shard> shards, Tokenizer tokenizer, long seed) {
        this.split = split;
        this.shards = List.copyOf(shards);
        this.tokenizer = tokenizer;
        this.seed = seed;
        shardStarts = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) shardStarts[i + 1] = shardStarts[i] + shards.get(i).tokenCount();
        tokens = shardStarts[shards.size()];
    }

    public Split split() {
        return split;
    }

    public long seed() {
        return seed;
    }

    /** A loader over the same tokens with another seed (e.g. one per evaluation). */
    public TokenLoader withSeed(long newSeed) {
        return new TokenLoader(split, shards, tokenizer, newSeed);
    }

    /** Tokens in the split. */
    public long tokenCount() {
        return tokens;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    private void checkSeq(int seq) {
        if (seq < 1) throw new IllegalArgumentException("seq must be positive");
        if (tokens < seq + 1L) {
            throw new DataException("the " + split.label() + " split has " + tokens + " tokens, fewer than seq+1 = " + (seq + 1)
                    + " needed for one window; use a shorter sequence length or more data");
        }
    }

    /** Where row {@code row} of (step, micro) starts in the split's token stream: uniform in [0, tokens - seq). */
    public long windowStart(long step, int micro, int row, int seq) {
        checkSeq(seq);
        long h = Hashing.mix64(seed ^ 0x6A09E667F3BCC909L);
        h = Hashing.mix64(h + step);
        h = Hashing.mix64(h + micro);
        h = Hashing.mix64(h + row);
        return Math.unsignedMultiplyHigh(h, tokens - seq);
    }

    @Override
    public void fill(long step, int micro, int batch, int seq, int[] inputs, int[] targets) {
        checkSeq(seq);
        if (inputs.length < batch * seq || targets.length < batch * seq) {
            throw new IllegalArgumentException("inputs and targets need batch*seq = " + batch * seq + " ids");
        }
        for (int r = 0; r < batch; r++) {
            long start = windowStart(step, micro, r, seq);
            read(start, inputs, r * seq, seq);
            read(start + 1, targets, r * seq, seq);
        }
    }

    /** Windows for a full pass over the split without overlap: window w covers tokens [w·seq, w·seq + seq]. */
    public long sequentialWindows(int seq) {
        checkSeq(seq);
        return (tokens - 1) / seq;
    }

    /**
     * Fills rows with consecutive non-overlapping windows {@code firstWindow, firstWindow+1, ...} (wrapping
     * around), for evaluations that must see every token of the split exactly once.
     */
    public void fillSequential(long firstWindow, int batch, int seq, int[] inputs, int[] targets) {
        long windows = sequentialWindows(seq);
        for (int r = 0; r < batch; r++) {
            long start = Math.floorMod(firstWindow + r, windows) * seq;
            read(start, inputs, r * seq, seq);
            read(start + 1, targets, r * seq, seq);
        }
    }

    /** Copies tokens {@code [from, from+count)} of the split's stream (across shard boundaries) into dst. */
    public void read(long from, int[] dst, int off, int count) {
        if (from < 0 || from + count > tokens) throw new IndexOutOfBoundsException("tokens " + from + "+" + count + " of " + tokens);
        int s = shardOf(from);
        while (count > 0) {
            Shard shard = shards.get(s);
            long local = from - shardStarts[s];
            int n = (int) Math.min(count, shard.tokenCount() - local);
            shard.read(local, dst, off, n);
            from += n;
            off += n;
            count -= n;
            s++;
        }
    }

    private int shardOf(long offset) {
        int k = Arrays.binarySearch(shardStarts, offset);
        if (k < 0) k = -k - 2;
        // skip empty shards that start at the same offset
        while (k + 1 < shards.size() && shardStarts[k + 1] <= offset) k++;
        return k;
    }

    /**
     * The origin of the token at {@code position} of row {@code row} in the batch of (step, micro) for sequence
     * length {@code seq}. Positions 0..seq-1 are the inputs; the target at position p is the input at p+1, and
     * {@code position == seq} names the last target.
     */
    public TokenOrigin origin(long step, int micro, int row, int position, int seq) {
        if (position < 0 || position > seq) throw new IllegalArgumentException("position must be in 0.." + seq);
        return originAt(windowStart(step, micro, row, seq) + position);
    }

    /** The origin of the token at {@code offset} of the split's token stream. */
    public TokenOrigin originAt(long offset) {
        if (offset < 0 || offset >= tokens) throw new IndexOutOfBoundsException("token " + offset + " of " + tokens);
        int s = shardOf(offset);
        Shard shard = shards.get(s);
        long local = offset - shardStarts[s];
        int d = shard.documentAt(local);
        if (shard.documentCount() == 0) {
            throw new IllegalStateException("shard " + shard.file() + " has tokens but no document index");
        }
        var doc = shard.document(d);
        long docStart = doc.firstToken();
        long docEnd = shard.documentEnd(d);
        int token = shard.token(local);
        long from = Math.max(docStart, local - SNIPPET_TOKENS);
        long to = Math.min(docEnd, local + SNIPPET_TOKENS + 1);
        int[] window = new int[(int) (to - from)];
        shard.read(from, window, 0, window.length);
        int at = (int) (local - from);
        String before = text(Arrays.copyOfRange(window, 0, at));
        String self = text(new int[] {token});
        String after = text(Arrays.copyOfRange(window, at + 1, window.length));
        return new TokenOrigin(split, offset, token, self, doc.id(), local - docStart, docEnd - docStart, doc.continued(),
                before + "⟦" + self + "⟧" + after, shard.file().getFileName().toString());
    }

    private String text(int[] ids) {
        return new String(tokenizer.decodeBytes(ids), StandardCharsets.UTF_8);
    }
}
