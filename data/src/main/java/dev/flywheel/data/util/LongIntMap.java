package dev.flywheel.data.util;

import java.util.Arrays;

/**
 * Open-addressing hash map from long keys to int values (linear probing). Used for BPE pair tables, where a
 * {@code HashMap<Long,Integer>} would box every lookup in the hottest loop of the encoder and the trainer.
 * The key {@link #EMPTY} (-1) is reserved.
 */
public final class LongIntMap {
    public static final long EMPTY = -1L;
    private long[] keys;
    private int[] values;
    private int size;
    private int mask;
    private final int missing;

    public LongIntMap(int expected, int missing) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        Arrays.fill(keys, EMPTY);
        values = new int[cap];
        mask = cap - 1;
        this.missing = missing;
    }

    static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    public int get(long key) {
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return missing;
            i = (i + 1) & mask;
        }
    }

    public boolean containsKey(long key) {
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) return true;
            if (k == EMPTY) return false;
            i = (i + 1) & mask;
        }
    }

    public void put(long key, int value) {
        if (key == EMPTY) throw new IllegalArgumentException("reserved key");
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) {
                values[i] = value;
                return;
            }
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                if (++size * 2 > keys.length) rehash();
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /** Puts only when the key is absent; returns the value now stored. */
    public int putIfAbsent(long key, int value) {
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                if (++size * 2 > keys.length) rehash();
                return value;
            }
            i = (i + 1) & mask;
        }
    }

    public int size() {
        return size;
    }

    private void rehash() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        int cap = oldKeys.length * 2;
        keys = new long[cap];
        Arrays.fill(keys, EMPTY);
        values = new int[cap];
        mask = cap - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            long k = oldKeys[j];
            if (k == EMPTY) continue;
            int i = slot(k, mask);
            while (keys[i] != EMPTY) i = (i + 1) & mask;
            keys[i] = k;
            values[i] = oldValues[j];
        }
    }

    /** Calls the visitor for every entry, in table order. */
    public void forEach(Visitor visitor) {
        for (int i = 0; i < keys.length; i++) if (keys[i] != EMPTY) visitor.visit(keys[i], values[i]);
    }

    @FunctionalInterface
    public interface Visitor {
        void visit(long key, int value);
    }
}
