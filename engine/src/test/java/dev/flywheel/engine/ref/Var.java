package dev.flywheel.engine.ref;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * A tiny reverse-mode autograd over double-precision arrays: the independent reference the engine's hand-written
 * float backward passes are checked against. Composite layers (norms, attention, losses) are built from a handful
 * of primitives whose derivatives are trivial and are themselves checked against finite differences.
 */
public final class Var {

    public final double[] data;
    public final int[] shape;
    public double[] grad;
    private final List<Var> parents = new ArrayList<>();
    private Runnable backward = () -> {};

    public Var(double[] data, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        if (n != data.length) throw new IllegalArgumentException("shape does not match data length " + data.length);
        this.data = data;
        this.shape = shape.clone();
        this.grad = new double[data.length];
    }

    public static Var of(float[] src, int off, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = src[off + i];
        return new Var(d, shape);
    }

    public int size() {
        return data.length;
    }

    public int last() {
        return shape[shape.length - 1];
    }

    private Var child(double[] d, int[] shape, Var... ps) {
        var v = new Var(d, shape);
        for (Var p : ps) v.parents.add(p);
        return v;
    }

    /** Back-propagates from this scalar (or from this tensor with the given upstream gradient). */
    public void backward() {
        if (size() != 1) throw new IllegalStateException("backward() needs a scalar");
        backward(new double[] {1.0});
    }

    public void backward(double[] upstream) {
        List<Var> order = new ArrayList<>();
        topo(this, new IdentityHashMap<>(), order);
        for (Var v : order) java.util.Arrays.fill(v.grad, 0);
        System.arraycopy(upstream, 0, grad, 0, upstream.length);
        for (int i = order.size() - 1; i >= 0; i--) order.get(i).backward.run();
    }

    private static void topo(Var v, IdentityHashMap<Var, Boolean> seen, List<Var> order) {
        // iterative post-order, because reference graphs can be deep
        var stack = new ArrayList<Object[]>();
        stack.add(new Object[] {v, 0});
        while (!stack.isEmpty()) {
            Object[] top = stack.get(stack.size() - 1);
            Var x = (Var) top[0];
            int i = (int) top[1];
            if (i == 0 && seen.containsKey(x)) {
                stack.remove(stack.size() - 1);
                continue;
            }
            seen.put(x, true);
            if (i < x.parents.size()) {
                top[1] = i + 1;
                Var p = x.parents.get(i);
                if (!seen.containsKey(p)) stack.add(new Object[] {p, 0});
            } else {
                order.add(x);
                stack.remove(stack.size() - 1);
            }
        }
    }

    // ---- primitives -------------------------------------------------------------------------------------------

    /** y[i] = x[index[i]], any output shape: gathers, broadcasts, reshapes, transposes, slices. */
    public Var take(int[] index, int... outShape) {
        double[] d = new double[index.length];
        for (int i = 0; i < index.length; i++) d[i] = data[index[i]];
        var y = child(d, outShape, this);
        y.backward = () -> {
            for (int i = 0; i < index.length; i++) grad[index[i]] += y.grad[i];
        };
        return y;
    }

    public Var add(Var o) {
        same(o);
        double[] d = new double[size()];
        for (int i = 0; i < d.length; i++) d[i] = data[i] + o.data[i];
        var y = child(d, shape, this, o);
        y.backward = () -> {
            for (int i = 0; i < d.length; i++) {
                grad[i] += y.grad[i];
                o.grad[i] += y.grad[i];
            }
        };
        return y;
    }

    public Var sub(Var o) {
        return add(o.scale(-1));
    }

    public Var mul(Var o) {
        same(o);
        double[] d = new double[size()];
        for (int i = 0; i < d.length; i++) d[i] = data[i] * o.data[i];
        var y = child(d, shape, this, o);
        y.backward = () -> {
            for (int i = 0; i < d.length; i++) {
                grad[i] += y.grad[i] * o.data[i];
                o.grad[i] += y.grad[i] * data[i];
            }
        };
        return y;
    }

    public Var scale(double c) {
        return map(x -> c * x, x -> c);
    }

    public Var addConst(double c) {
        return map(x -> x + c, x -> 1);
    }

    /** Elementwise f with derivative df (both of the input). */
    public Var map(DoubleUnaryOperator f, DoubleUnaryOperator df) {
        double[] d = new double[size()];
        for (int i = 0; i < d.length; i++) d[i] = f.applyAsDouble(data[i]);
        var y = child(d, shape, this);
        y.backward = () -> {
            for (int i = 0; i < d.length; i++) grad[i] += y.grad[i] * df.applyAsDouble(data[i]);
        };
        return y;
    }

    public Var exp() {
        return map(Math::exp, Math::exp);
    }

    public Var log() {
        return map(Math::log, x -> 1 / x);
    }

    public Var tanh() {
        return map(Math::tanh, x -> 1 - Math.tanh(x) * Math.tanh(x));
    }

    public Var pow(double p) {
        return map(x -> Math.pow(x, p), x -> p * Math.pow(x, p - 1));
    }

    public Var relu() {
        return map(x -> Math.max(x, 0), x -> x > 0 ? 1 : 0);
    }

    public Var sigmoid() {
        return map(x -> 1 / (1 + Math.exp(-x)), x -> {
            double s = 1 / (1 + Math.exp(-x));
            return s * (1 - s);
        });
    }

    /** Sum over the last dimension: (..., n) → (..., 1). */
    public Var sumLast() {
        int n = last(), rows = size() / n;
        double[] d = new double[rows];
        for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) d[r] += data[r * n + i];
        int[] s = shape.clone();
        s[s.length - 1] = 1;
        var y = child(d, s, this);
        y.backward = () -> {
            for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) grad[r * n + i] += y.grad[r];
        };
        return y;
    }

    /**
     * Batched matrix product: this (G, M, K) · o (G, K, N), or o^T when {@code transposeOther} with o (G, N, K).
     * G may be absent (2-D operands).
     */
    public Var bmm(Var o, boolean transposeOther) {
        int g = shape.length == 3 ? shape[0] : 1;
        int m = shape[shape.length - 2], k = shape[shape.length - 1];
        int n = transposeOther ? o.shape[o.shape.length - 2] : o.shape[o.shape.length - 1];
        int ok = transposeOther ? o.shape[o.shape.length - 1] : o.shape[o.shape.length - 2];
        if (ok != k) throw new IllegalArgumentException("inner dimensions differ: " + k + " vs " + ok);
        double[] d = new double[g * m * n];
        for (int b = 0; b < g; b++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += data[b * m * k + i * k + p] * o.data[oIndex(b, p, j, k, n, transposeOther)];
                    d[b * m * n + i * n + j] = s;
                }
        var y = child(d, shape.length == 3 ? new int[] {g, m, n} : new int[] {m, n}, this, o);
        y.backward = () -> {
            for (int b = 0; b < g; b++)
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double gy = y.grad[b * m * n + i * n + j];
                        if (gy == 0) continue;
                        for (int p = 0; p < k; p++) {
                            int oi = oIndex(b, p, j, k, n, transposeOther);
                            grad[b * m * k + i * k + p] += gy * o.data[oi];
                            o.grad[oi] += gy * data[b * m * k + i * k + p];
                        }
                    }
        };
        return y;
    }

    private static int oIndex(int b, int p, int j, int k, int n, boolean transposed) {
        return transposed ? b * n * k + j * k + p : b * k * n + p * n + j;
    }

    private void same(Var o) {
        if (o.size() != size()) {
            throw new IllegalArgumentException("sizes differ: " + size() + " vs " + o.size());
        }
    }

    // ---- helpers built from primitives -----------------------------------------------------------------------

    /** Broadcasts a (rows, 1) column to (rows, n). */
    public Var broadcastCol(int n) {
        int rows = size();
        int[] idx = new int[rows * n];
        for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) idx[r * n + i] = r;
        return take(idx, rows, n);
    }

    /** Broadcasts a vector (n) to (rows, n). */
    public Var broadcastRow(int rows) {
        int n = size();
        int[] idx = new int[rows * n];
        for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) idx[r * n + i] = i;
        return take(idx, rows, n);
    }

    public Var reshape(int... s) {
        int[] idx = new int[size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        return take(idx, s);
    }

    public Var sum() {
        return reshape(1, size()).sumLast();
    }

    public Var mean() {
        return sum().scale(1.0 / size());
    }
}
