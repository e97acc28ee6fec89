package dev.flywheel.data.clean;

import dev.flywheel.data.util.Hashing;
import java.util.Arrays;

/**
 * MinHash signatures of a document's word n-grams and their LSH band keys (Broder 1997; Leskovec et al., "Mining
 * of Massive Datasets" §3.4). Written here because it is the product: the signature is {@code bands × rows}
 * 32-bit minima of multiply-shift hashes of each shingle, which is cheap enough to run on every document before
 * every study. Two documents become candidates when one band agrees; a candidate is a near duplicate when the
 * share of agreeing minima (the estimated Jaccard similarity) reaches the threshold.
 *
 * <p>Shingles are n-grams of normalised words ({@link TextStats#norm}: lower-cased letters and digits), so case,
 * punctuation and spacing do not matter. The hash family is fixed by a seed, so signatures are the same on every
 * machine and run.
 */
public record MinHash(int bands, int rows, int ngram, double threshold) {
    private static final long SEED = 0x5EEDF1A1L;

    public static final String NAME = "near_duplicate";
    public static final int MAX_HASHES = 4096;

    public MinHash {
        if (bands < 1 || rows < 1 || ngram < 1 || bands * rows > MAX_HASHES) {
            throw new IllegalArgumentException("bands, rows and ngram must be positive and bands × rows at most " + MAX_HASHES);
        }
    }

    public static MinHash of(RuleParams p) {
        var m = new MinHash(p.integer("bands", 20, 1, 256), p.integer("rows", 6, 1, 16), p.integer("ngram", 5, 1, 100),
                p.number("threshold", 0.7, 0, 1));
        p.done();
        return m;
    }

    public int hashes() {
        return bands * rows;
    }

    /** The signature, or null for a document without a single word. */
    public int[] signature(TextStats t) {
        return signature(t, 0);
    }

    /**
     * The signature of the words from character {@code from} on (a source file's licence header left out, so that
     * two small files are not near duplicates for sharing it), or of the whole text when nothing is left after it.
     */
    public int[] signature(TextStats t, int from) {
        int h = hashes();
        long[] mul = MULTIPLIERS;
        int[] sig = new int[h];
        Arrays.fill(sig, Integer.MAX_VALUE);
        int[] at = wordIndices(t);
        int first = 0;
        while (first < at.length && t.wordStart[at[first]] < from) first++;
        if (first < at.length) at = Arrays.copyOfRange(at, first, at.length);
        if (at.length == 0) return null;
        int n = Math.min(ngram, at.length);
        for (int i = 0; i + n <= at.length; i++) {
            long x = 0;
            for (int k = 0; k < n; k++) x = x * 0x9E3779B97F4A7C15L + t.norm[at[i + k]];
            x = Hashing.mix64(x);
            for (int j = 0; j < h; j++) sig[j] = Math.min(sig[j], (int) ((x * mul[j]) >>> 33)); // 31 bits: a plain min the JIT vectorises
        }
        return sig;
    }

    /** The LSH key of one band: a hash of its rows, never {@link dev.flywheel.data.util.LongIntMap#EMPTY}. */
    public long bandKey(int[] sig, int band) {
        long k = band;
        for (int r = 0; r < rows; r++) k = k * 0x9E3779B97F4A7C15L + (sig[band * rows + r] & 0xFFFFFFFFL);
        k = Hashing.mix64(k);
        return k == -1 ? 7 : k;
    }

    /** The estimated Jaccard similarity: the share of positions where the minima agree. */
    public static double similarity(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) same++;
        return same / (double) a.length;
    }

    /** Positions of words with letters or digits (the ones shingles are made of). */
    static int[] wordIndices(TextStats t) {
        int[] at = new int[t.words];
        int n = 0;
        for (int i = 0; i < t.words; i++) if (t.norm[i] != 0) at[n++] = i;
        return n == at.length ? at : Arrays.copyOf(at, n);
    }

    /** Odd 64-bit multipliers from SplitMix64: multiply-shift hashing, one per signature position. */
    private static final long[] MULTIPLIERS = new long[MAX_HASHES];

    static {
        for (int j = 0; j < MAX_HASHES; j++) MULTIPLIERS[j] = Hashing.mix64(SEED + j) | 1;
    }
}
