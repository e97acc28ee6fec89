package dev.flywheel.data.tokenizer;

import dev.flywheel.data.util.IntList;
import dev.flywheel.data.util.LongIntMap;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE: text is pre-split into chunks ({@link PreSplit}), each chunk starts as its UTF-8 bytes, and
 * adjacent pairs are merged lowest rank first (leftmost on ties) until no pair has a rank — the algorithm of
 * tiktoken and of Hugging Face's BPE model.
 *
 * <p>Two merge rules cover both families of vocabularies:
 * <ul>
 *   <li>{@link MergeRule#MERGES}: an ordered merge list, as trained here and as in a Hugging Face
 *       {@code tokenizer.json}; only the listed pair (a, b) merges, into id 256 + its rank.</li>
 *   <li>{@link MergeRule#RANKS}: tiktoken's ranked vocabulary (GPT-2's r50k_base, GPT-4's cl100k_base); any two
 *       adjacent tokens whose concatenated bytes are a token merge into it, with that token's rank. Used to
 *       check our encoder token-for-token against jtokkit and to compare speed on the same vocabulary.</li>
 * </ul>
 * Encoding keeps a per-thread cache of recently seen chunks, because natural text repeats the same words.
 */
public final class BpeTokenizer implements Tokenizer {

    public enum MergeRule { MERGES, RANKS }

    static final int NO_RANK = Integer.MAX_VALUE;
    private static final int SMALL_CHUNK = 48;
    private static final int MAX_CACHED_CHUNK = 64;

    private final PreSplit preSplit;
    private final MergeRule rule;
    private final int[] byteToId;
    private final byte[][] tokens;
    private final int[] tokenBytes;
    private final LongIntMap pairRank;
    private final int[] rankToId;
    private final int[][] merges;
    private final Map<String, Integer> specials;
    private final int endOfText;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    private BpeTokenizer(PreSplit preSplit, MergeRule rule, int[] byteToId, byte[][] tokens, LongIntMap pairRank,
                         int[] rankToId, int[][] merges, Map<String, Integer> specials) {
        this.preSplit = preSplit;
        this.rule = rule;
        this.byteToId = byteToId;
        this.tokens = tokens;
        this.pairRank = pairRank;
        this.rankToId = rankToId;
        this.merges = merges;
        this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
        this.tokenBytes = new int[tokens.length];
        for (int id = 0; id < tokens.length; id++) tokenBytes[id] = tokens[id] == null ? 0 : tokens[id].length;
        for (int id : specials.values()) tokenBytes[id] = 0;
        this.endOfText = specials.getOrDefault(END_OF_TEXT, -1);
    }

    /**
     * A tokenizer from an ordered merge list: ids 0..255 are the bytes, merge i makes id 256+i, and the special
     * tokens follow in the given order.
     */
    public static BpeTokenizer fromMerges(PreSplit preSplit, int[][] merges, List<String> specialTokens) {
        int base = 256 + merges.length;
        var tokens = new byte[base + specialTokens.size()][];
        var byteToId = new int[256];
        for (int b = 0; b < 256; b++) {
            tokens[b] = new byte[] {(byte) b};
            byteToId[b] = b;
        }
        var pairRank = new LongIntMap(merges.length + 1, NO_RANK);
        var rankToId = new int[merges.length];
        for (int r = 0; r < merges.length; r++) {
            int a = merges[r][0], b = merges[r][1];
            if (a < 0 || b < 0 || a >= 256 + r || b >= 256 + r) {
                throw new IllegalArgumentException("merge " + r + " (" + a + ", " + b + ") refers to a token that does not exist yet");
            }
            long key = pairKey(a, b);
            if (pairRank.containsKey(key)) throw new IllegalArgumentException("merge " + r + " (" + a + ", " + b + ") is listed twice");
            pairRank.put(key, r);
            rankToId[r] = 256 + r;
            tokens[256 + r] = concat(tokens[a], tokens[b]);
        }
        var specials = new LinkedHashMap<String, Integer>();
        for (int i = 0; i < specialTokens.size(); i++) {
            tokens[base + i] = specialTokens.get(i).getBytes(StandardCharsets.UTF_8);
            specials.put(specialTokens.get(i), base + i);
        }
        var copy = new int[merges.length][];
        for (int r = 0; r < merges.length; r++) copy[r] = new int[] {merges[r][0], merges[r][1]};
        return new BpeTokenizer(preSplit, MergeRule.MERGES, byteToId, tokens, pairRank, rankToId, copy, specials);
    }

    /**
     * A tokenizer from a tiktoken-style ranked vocabulary: {@code ranked.get(id)} is the token with id and rank
     * {@code id} (null for an unused id); every single byte must be a token.
     */
    public static BpeTokenizer fromRanks(PreSplit preSplit, List<byte[]> ranked, Map<String, Integer> specialTokens) {
        int size = ranked.size();
        for (int id : specialTokens.values()) size = Math.max(size, id + 1);
        var tokens = new byte[size][];
        var byId = new java.util.HashMap<ByteKey, Integer>(ranked.size() * 2);
        var byteToId = new int[256];
        Arrays.fill(byteToId, -1);
        for (int id = 0; id < ranked.size(); id++) {
            byte[] t = ranked.get(id);
            if (t == null) continue;
            tokens[id] = t.clone();
            byId.put(new ByteKey(t), id);
            if (t.length == 1) byteToId[t[0] & 0xFF] = id;
        }
        for (int b = 0; b < 256; b++) {
            if (byteToId[b] < 0) throw new IllegalArgumentException("ranked vocabulary lacks the single byte " + b);
        }
        // Every split of a token into two tokens is a pair that merges into it (tiktoken's rule).
        var pairRank = new LongIntMap(ranked.size() * 2, NO_RANK);
        for (int id = 0; id < ranked.size(); id++) {
            byte[] t = tokens[id];
            if (t == null || t.length < 2) continue;
            for (int k = 1; k < t.length; k++) {
                Integer left = byId.get(new ByteKey(Arrays.copyOfRange(t, 0, k)));
                Integer right = byId.get(new ByteKey(Arrays.copyOfRange(t, k, t.length)));
                if (left != null && right != null) pairRank.put(pairKey(left, right), id);
            }
        }
        var rankToId = new int[ranked.size()];
        for (int i = 0; i < rankToId.length; i++) rankToId[i] = i;
        var specials = new LinkedHashMap<String, Integer>();
        specialTokens.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> {
            tokens[e.getValue()] = e.getKey().getBytes(StandardCharsets.UTF_8);
            specials.put(e.getKey(), e.getValue());
        });
        return new BpeTokenizer(preSplit, MergeRule.RANKS, byteToId, tokens, pairRank, rankToId, null, specials);
    }

    /** Reads a {@code .tiktoken} file: one "base64(token) rank" per line. */
    public static BpeTokenizer loadTiktoken(InputStream in, PreSplit preSplit, Map<String, Integer> specialTokens) throws IOException {
        var ranked = new ArrayList<byte[]>();
        try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) continue;
                int space = line.indexOf(' ');
                byte[] token = Base64.getDecoder().decode(line.substring(0, space));
                int rank = Integer.parseInt(line.substring(space + 1).trim());
                while (ranked.size() <= rank) ranked.add(null);
                ranked.set(rank, token);
            }
        }
        return fromRanks(preSplit, ranked, specialTokens);
    }

    private record ByteKey(byte[] bytes) {
        @Override public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
        }

        @Override public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    public PreSplit preSplit() {
        return preSplit;
    }

    public MergeRule mergeRule() {
        return rule;
    }

    /** The merge list in rank order (MERGES rule only), as copies of (left id, right id). */
    public int[][] merges() {
        if (merges == null) throw new IllegalStateException("a ranked (tiktoken) vocabulary has no merge list");
        var copy = new int[merges.length][];
        for (int r = 0; r < merges.length; r++) copy[r] = merges[r].clone();
        return copy;
    }

    /** Special tokens and their ids, in id order. */
    public Map<String, Integer> specials() {
        return specials;
    }

    /** The bytes of token {@code id} (a special token's text for specials; null for an unused id). */
    public byte[] tokenBytesOf(int id) {
        return tokens[id] == null ? null : tokens[id].clone();
    }

    @Override
    public Kind kind() {
        return Kind.BPE;
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public int[] tokenBytes() {
        return tokenBytes;
    }

    @Override
    public int endOfText() {
        return endOfText;
    }

    @Override
    public void encodeInto(byte[] utf8, int from, int to, IntList out) {
        Scratch s = scratch.get();
        preSplit.split(utf8, from, to, (b, start, end) -> encodeChunk(b, start, end, out, s));
    }

    @Override
    public byte[] decodeBytes(int[] ids, int from, int to) {
        var out = new ByteArrayOutputStream((to - from) * 4);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id < 0 || id >= tokens.length || tokens[id] == null) {
                throw new IllegalArgumentException("token id " + id + " is not in this BPE vocabulary (size " + tokens.length + ")");
            }
            out.writeBytes(tokens[id]);
        }
        return out.toByteArray();
    }

    private int rank(int a, int b) {
        return pairRank.get(pairKey(a, b));
    }

    /** Per-thread buffers and the chunk cache; encoding allocates only for new chunks. */
    private static final class Scratch {
        final int[] parts = new int[SMALL_CHUNK];
        final int[] ranks = new int[SMALL_CHUNK];
        final ChunkCache cache = new ChunkCache();
    }

    private void encodeChunk(byte[] b, int s, int e, IntList out, Scratch scratch) {
        int n = e - s;
        if (n == 1) {
            out.add(byteToId[b[s] & 0xFF]);
            return;
        }
        if (n > MAX_CACHED_CHUNK) {
            int[] ids = mergeLarge(b, s, e);
            out.addAll(ids, 0, ids.length);
            return;
        }
        int h = ChunkCache.hash(b, s, e);
        int[] cached = scratch.cache.get(b, s, e, h);
        if (cached == null) {
            cached = n <= SMALL_CHUNK ? mergeSmall(b, s, e, scratch) : mergeLarge(b, s, e);
            scratch.cache.put(b, s, e, h, cached);
        }
        out.addAll(cached, 0, cached.length);
    }

    /** Quadratic but allocation-free merging for short chunks (almost all of them). */
    private int[] mergeSmall(byte[] b, int s, int e, Scratch scratch) {
        int len = e - s;
        int[] parts = scratch.parts;
        int[] ranks = scratch.ranks;
        for (int k = 0; k < len; k++) parts[k] = byteToId[b[s + k] & 0xFF];
        for (int k = 0; k < len - 1; k++) ranks[k] = rank(parts[k], parts[k + 1]);
        while (len > 1) {
            int min = NO_RANK;
            int at = -1;
            for (int k = 0; k < len - 1; k++) {
                if (ranks[k] < min) {
                    min = ranks[k];
                    at = k;
                }
            }
            if (at < 0) break;
            parts[at] = rankToId[min];
            System.arraycopy(parts, at + 2, parts, at + 1, len - at - 2);
            if (len - at - 3 > 0) System.arraycopy(ranks, at + 2, ranks, at + 1, len - at - 3);
            len--;
            if (at > 0) ranks[at - 1] = rank(parts[at - 1], parts[at]);
            if (at < len - 1) ranks[at] = rank(parts[at], parts[at + 1]);
        }
        return Arrays.copyOf(parts, len);
    }

    /**
     * O(n log n) merging for long chunks (a 50 MB run of one letter is one chunk): a linked list of parts and a
     * min-heap of (rank, position); stale heap entries are recognised by re-checking the pair's rank.
     */
    private int[] mergeLarge(byte[] b, int s, int e) {
        int n = e - s;
        int[] id = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        for (int k = 0; k < n; k++) {
            id[k] = byteToId[b[s + k] & 0xFF];
            prev[k] = k - 1;
            next[k] = k + 1 < n ? k + 1 : -1;
        }
        var heap = new LongHeap(n);
        for (int k = 0; k + 1 < n; k++) {
            int r = rank(id[k], id[k + 1]);
            if (r != NO_RANK) heap.push(((long) r << 32) | k);
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int r = (int) (top >>> 32);
            int pos = (int) top;
            if (removed[pos] || next[pos] < 0) continue;
            int nx = next[pos];
            if (rank(id[pos], id[nx]) != r) continue;
            id[pos] = rankToId[r];
            removed[nx] = true;
            alive--;
            next[pos] = next[nx];
            if (next[nx] >= 0) prev[next[nx]] = pos;
            if (prev[pos] >= 0) {
                int rr = rank(id[prev[pos]], id[pos]);
                if (rr != NO_RANK) heap.push(((long) rr << 32) | prev[pos]);
            }
            if (next[pos] >= 0) {
                int rr = rank(id[pos], id[next[pos]]);
                if (rr != NO_RANK) heap.push(((long) rr << 32) | pos);
            }
        }
        int[] result = new int[alive];
        int j = 0;
        for (int k = 0; k >= 0; k = next[k]) result[j++] = id[k];
        return result;
    }

    /** A binary min-heap of longs. */
    static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long v = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (a[c] >= v) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
    }

    /**
     * Chunk bytes → token ids, open addressing, cleared when half full. Per thread, so no locking; bounded, so a
     * corpus of unique strings cannot grow it without limit.
     */
    static final class ChunkCache {
        private static final int CAPACITY = 1 << 16;
        private final byte[][] keys = new byte[CAPACITY][];
        private final int[][] values = new int[CAPACITY][];
        private final int[] hashes = new int[CAPACITY];
        private int size;

        static int hash(byte[] b, int s, int e) {
            int h = 0x811C9DC5;
            for (int i = s; i < e; i++) h = (h ^ b[i]) * 0x01000193;
            return h ^ (h >>> 16);
        }

        int[] get(byte[] b, int s, int e, int h) {
            int mask = CAPACITY - 1;
            int i = h & mask;
            int n = e - s;
            while (true) {
                byte[] k = keys[i];
                if (k == null) return null;
                if (hashes[i] == h && k.length == n && Arrays.equals(k, 0, n, b, s, e)) return values[i];
                i = (i + 1) & mask;
            }
        }

        void put(byte[] b, int s, int e, int h, int[] ids) {
            if (size * 2 >= CAPACITY) {
                Arrays.fill(keys, null);
                Arrays.fill(values, null);
                size = 0;
            }
            int mask = CAPACITY - 1;
            int i = h & mask;
            while (keys[i] != null) i = (i + 1) & mask;
            keys[i] = Arrays.copyOfRange(b, s, e);
            values[i] = ids;
            hashes[i] = h;
            size++;
        }
    }
}
