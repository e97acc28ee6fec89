package dev.flywheel.data.util;

import java.util.Arrays;

/** A growable list of ints without boxing: token ids pass through the pipeline by the million. */
public final class IntList {
    private int[] values;
    private int size;

    public IntList() {
        this(16);
    }

    public IntList(int capacity) {
        values = new int[Math.max(1, capacity)];
    }

    public void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, grow(size + 1));
        values[size++] = v;
    }

    public void addAll(int[] src, int from, int to) {
        int n = to - from;
        if (size + n > values.length) values = Arrays.copyOf(values, grow(size + n));
        System.arraycopy(src, from, values, size, n);
        size += n;
    }

    public void addAll(IntList other) {
        addAll(other.values, 0, other.size);
    }

    private int grow(int needed) {
        long n = Math.max((long) values.length * 2, needed);
        if (n > Integer.MAX_VALUE - 16) n = Integer.MAX_VALUE - 16;
        if (n < needed) throw new IllegalStateException("list too large: " + needed);
        return (int) n;
    }

    public int get(int i) {
        return values[i];
    }

    public void set(int i, int v) {
        values[i] = v;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public void clear() {
        size = 0;
    }

    public void truncate(int newSize) {
        size = newSize;
    }

    /** The backing array; valid up to {@link #size()}. */
    public int[] raw() {
        return values;
    }

    public int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
