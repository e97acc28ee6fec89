package dev.flywheel.data.tokenizer;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.util.IntList;
import dev.flywheel.data.util.LongIntMap;
import java.util.Arrays;
import java.util.List;

/**
 * Trains a byte-level BPE merge list from chunk counts.
 *
 * <p>Each distinct chunk is a "word" with a count. Pair counts are kept for the whole vocabulary, together with
 * the list of words each pair occurs in, and a max-heap orders pairs by count. A merge touches only the words
 * that contain its pair: their old pairs are subtracted, the merge applied, their new pairs added, and only the
 * pairs whose count changed are pushed again. So the cost of a merge is proportional to how often its pair
 * occurs, not to the corpus — the corpus is never scanned again after counting.
 *
 * <p>Ties are broken by the smaller pair (left id, then right id), so the merges depend only on the counts —
 * not on thread count or document order.
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /** A pair must occur at least this often to be merged; rarer pairs would only memorise the sample. */
    public static final int MIN_PAIR_COUNT = 2;

    /**
     * Learns merges until the vocabulary (256 bytes + merges + special tokens) reaches {@code vocabSize}, or no
     * pair occurs {@link #MIN_PAIR_COUNT} times any more (then the vocabulary is smaller, and the caller reports it).
     */
    public static BpeTokenizer train(ChunkCounts counts, int vocabSize, List<String> specialTokens, Progress progress) {
        int wanted = vocabSize - 256 - specialTokens.size();
        if (wanted < 0) {
            throw new DataException("a BPE vocabulary of " + vocabSize + " is too small: it needs at least " + (256 + specialTokens.size())
                    + " tokens for the 256 bytes and " + specialTokens.size() + " special token(s); use --vocab " + (256 + specialTokens.size()) + " or more");
        }
        var state = new State(counts);
        progress.begin("train tokenizer", wanted, "merges");
        int[][] merges = new int[wanted][];
        int done = 0;
        while (done < wanted) {
            long best = state.popBest();
            if (best == -1) break;
            int a = (int) (best >>> 32), b = (int) best;
            merges[done] = new int[] {a, b};
            state.merge(a, b, 256 + done);
            done++;
            if ((done & 63) == 0) progress.update(done);
        }
        progress.update(done);
        progress.end();
        return BpeTokenizer.fromMerges(counts.preSplit(), Arrays.copyOf(merges, done), specialTokens);
    }

    /** The words, the pair table and the heap. */
    private static final class State {
        final int[][] words;
        final int[] lengths;
        final long[] wordCounts;
        final int[] seenAtMerge;

        final LongIntMap pairIndex = new LongIntMap(1 << 16, -1);
        long[] pairKeys = new long[1 << 16];
        long[] pairCounts = new long[1 << 16];
        IntList[] pairWords = new IntList[1 << 16];
        int[] lastWordAdded = new int[1 << 16];
        long[] delta = new long[1 << 16];
        int pairs;
        final IntList touched = new IntList();
        final CountHeap heap = new CountHeap();

        State(ChunkCounts counts) {
            int n = counts.unique();
            words = new int[n][];
            lengths = new int[n];
            wordCounts = new long[n];
            seenAtMerge = new int[n];
            Arrays.fill(seenAtMerge, -1);
            int[] w = {0};
            counts.forEach((chunk, count) -> {
                int[] syms = new int[chunk.length];
                for (int i = 0; i < chunk.length; i++) syms[i] = chunk[i] & 0xFF;
                words[w[0]] = syms;
                lengths[w[0]] = syms.length;
                wordCounts[w[0]] = count;
                w[0]++;
            });
            for (int i = 0; i < n; i++) {
                int[] syms = words[i];
                for (int k = 0; k + 1 < syms.length; k++) {
                    int p = indexOf(syms[k], syms[k + 1], true);
                    pairCounts[p] += wordCounts[i];
                    addWord(p, i);
                }
            }
            for (int p = 0; p < pairs; p++) if (pairCounts[p] >= MIN_PAIR_COUNT) heap.push(pairCounts[p], pairKeys[p]);
        }

        int indexOf(int a, int b, boolean create) {
            long key = BpeTokenizer.pairKey(a, b);
            int p = pairIndex.get(key);
            if (p >= 0 || !create) return p;
            p = pairs++;
            if (p == pairKeys.length) {
                int cap = p * 2;
                pairKeys = Arrays.copyOf(pairKeys, cap);
                pairCounts = Arrays.copyOf(pairCounts, cap);
                pairWords = Arrays.copyOf(pairWords, cap);
                lastWordAdded = Arrays.copyOf(lastWordAdded, cap);
                delta = Arrays.copyOf(delta, cap);
            }
            pairKeys[p] = key;
            pairWords[p] = new IntList(4);
            lastWordAdded[p] = -1;
            pairIndex.put(key, p);
            return p;
        }

        void addWord(int p, int word) {
            if (lastWordAdded[p] == word) return;
            lastWordAdded[p] = word;
            pairWords[p].add(word);
        }

        /** The most frequent pair as (a << 32 | b), or -1 when none is frequent enough. */
        long popBest() {
            while (!heap.isEmpty()) {
                long count = heap.topCount();
                long key = heap.topKey();
                heap.pop();
                int p = pairIndex.get(key);
                if (pairCounts[p] != count) continue; // stale: the count changed after this entry was pushed
                return key;
            }
            return -1;
        }

        void change(int p, long by) {
            if (delta[p] == 0) touched.add(p);
            delta[p] += by;
        }

        void merge(int a, int b, int z) {
            int best = pairIndex.get(BpeTokenizer.pairKey(a, b));
            IntList where = pairWords[best];
            pairWords[best] = new IntList(1);
            lastWordAdded[best] = -1;
            int[] list = where.raw();
            for (int j = 0; j < where.size(); j++) {
                int w = list[j];
                if (seenAtMerge[w] == z) continue;
                seenAtMerge[w] = z;
                int[] syms = words[w];
                int len = lengths[w];
                boolean has = false;
                for (int k = 0; k + 1 < len; k++) {
                    if (syms[k] == a && syms[k + 1] == b) {
                        has = true;
                        break;
                    }
                }
                if (!has) continue; // the pair left this word in an earlier merge
                long c = wordCounts[w];
                for (int k = 0; k + 1 < len; k++) change(indexOf(syms[k], syms[k + 1], false), -c);
                int out = 0;
                for (int k = 0; k < len; ) {
                    if (k + 1 < len && syms[k] == a && syms[k + 1] == b) {
                        syms[out++] = z;
                        k += 2;
                    } else {
                        syms[out++] = syms[k++];
                    }
                }
                lengths[w] = out;
                for (int k = 0; k + 1 < out; k++) {
                    int p = indexOf(syms[k], syms[k + 1], true);
                    change(p, c);
                    if (syms[k] == z || syms[k + 1] == z) addWord(p, w);
                }
            }
            int[] t = touched.raw();
            for (int j = 0; j < touched.size(); j++) {
                int p = t[j];
                long d = delta[p];
                delta[p] = 0;
                if (d == 0) continue;
                pairCounts[p] += d;
                if (pairCounts[p] >= MIN_PAIR_COUNT) heap.push(pairCounts[p], pairKeys[p]);
            }
            touched.clear();
        }
    }

    /** Max-heap of (count, pair key): larger count first, then smaller key. */
    private static final class CountHeap {
        long[] counts = new long[1 << 12];
        long[] keys = new long[1 << 12];
        int size;

        boolean isEmpty() {
            return size == 0;
        }

        long topCount() {
            return counts[0];
        }

        long topKey() {
            return keys[0];
        }

        private boolean before(long c1, long k1, long c2, long k2) {
            return c1 > c2 || (c1 == c2 && k1 < k2);
        }

        void push(long c, long k) {
            if (size == counts.length) {
                counts = Arrays.copyOf(counts, size * 2);
                keys = Arrays.copyOf(keys, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (!before(c, k, counts[p], keys[p])) break;
                counts[i] = counts[p];
                keys[i] = keys[p];
                i = p;
            }
            counts[i] = c;
            keys[i] = k;
        }

        void pop() {
            long c = counts[--size];
            long k = keys[size];
            int i = 0;
            while (true) {
                int ch = 2 * i + 1;
                if (ch >= size) break;
                if (ch + 1 < size && before(counts[ch + 1], keys[ch + 1], counts[ch], keys[ch])) ch++;
                if (!before(counts[ch], keys[ch], c, k)) break;
                counts[i] = counts[ch];
                keys[i] = keys[ch];
                i = ch;
            }
            counts[i] = c;
            keys[i] = k;
        }
    }
}
