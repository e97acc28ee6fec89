package dev.flywheel.data.clean;

import dev.flywheel.data.util.IntList;
import dev.flywheel.data.util.LongIntMap;
import java.util.ArrayList;
import java.util.List;

/**
 * What exact and near dedup remember of the documents met so far (all but the copies), fed in corpus order so that a
 * duplicate always loses to its first occurrence, whatever the thread count. This is the memory of the cleaning stage: per indexed
 * document its id (≈ 60 bytes), one exact hash (≈ 24 bytes in the open-addressing table), its signature
 * ({@code 4 × bands × rows} bytes: 480 by default) and one entry per band (≈ 24 bytes × 20) and the list slots: about 1.1 KB per
 * document by default, 1 GB for a million documents.
 */
final class DuplicateIndex {
    /** An earlier document this one duplicates; {@code similarity} is 1 for an exact duplicate. */
    record Match(String rule, int kept, String keptId, double similarity) {}

    private final boolean exactOn;
    private final MinHash minHash;
    private final LongIntMap exact = new LongIntMap(1 << 12, -1);
    private final LongIntMap[] bands;
    private final List<int[]> signatures = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();
    private final IntList copies = new IntList(1 << 12);

    DuplicateIndex(boolean exactOn, MinHash minHash) {
        this.exactOn = exactOn;
        this.minHash = minHash;
        this.bands = new LongIntMap[minHash == null ? 0 : minHash.bands()];
        for (int b = 0; b < bands.length; b++) bands[b] = new LongIntMap(1 << 12, -1);
    }

    /** The first kept document this one duplicates, or null; a match counts the copy against its cluster. */
    Match find(long exactHash, int[] sig) {
        Match m = null;
        if (exactOn) {
            int k = exact.get(exactHash);
            if (k >= 0) m = new Match(Cleaner.EXACT, k, ids.get(k), 1.0);
        }
        if (m == null && minHash != null && sig != null) {
            int tried = -1;
            for (int b = 0; b < bands.length && m == null; b++) {
                int k = bands[b].get(minHash.bandKey(sig, b));
                if (k < 0 || k == tried) continue;
                tried = k;
                double s = MinHash.similarity(sig, signatures.get(k));
                if (s >= minHash.threshold()) m = new Match(MinHash.NAME, k, ids.get(k), s);
            }
        }
        if (m != null) copies.set(m.kept(), copies.get(m.kept()) + 1);
        return m;
    }

    /** Remembers a kept document; returns its index. */
    int add(String id, long exactHash, int[] sig) {
        int k = ids.size();
        ids.add(id);
        copies.add(0);
        if (exactOn) exact.putIfAbsent(exactHash, k);
        signatures.add(minHash == null ? null : sig);
        if (minHash != null && sig != null) {
            for (int b = 0; b < bands.length; b++) bands[b].putIfAbsent(minHash.bandKey(sig, b), k);
        }
        return k;
    }

    /** How many later copies each kept document has (its cluster size minus one), in corpus order. */
    int[] copies() {
        return copies.toArray();
    }

    String id(int kept) {
        return ids.get(kept);
    }
}
