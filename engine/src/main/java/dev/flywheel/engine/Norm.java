package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm and RMSNorm over rows. A row is {@code c} contiguous floats; rows follow each other with a stride.
 * Mean and 1/σ per row are kept for the backward pass.
 *
 * <p>Row sums are accumulated in vector lanes, then the lanes are added in lane order, then the scalar tail: the
 * split between body and tail depends only on c, so a row's statistics do not depend on the thread count. The
 * weight gradients are reduced over rows in row order with one thread per range of whole column vectors. Vector
 * bodies and scalar tails perform the same operations (no horizontal vector reductions anywhere).
 */
public final class Norm {

    private Norm() {}

    /**
     * What a norm keeps of its rows for the backward pass: the mean (LayerNorm only) and 1/σ of row r at
     * {@code off + r}.
     */
    public record Stats(float[] mean, float[] rstd, int off) {}

    private static final VectorSpecies<Float> S = Simd.FLOAT;
    private static final int L = S.length();
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);
    /** Rows per thread below which a norm stays on one thread. */
    private static final int GRAIN = 16;

    /** The lanes of v added in lane order. */
    static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0;
        for (int j = 0; j < L; j++) s += lanes[j];
        return s;
    }

    /**
     * LayerNorm forward. inp rows (rows, c) with stride inStride; out rows with stride outStride;
     * weight (c); bias (c) or null; mean, rstd (rows).
     */
    public static void layerNormForward(Parallel pool, float[] out, int outOff, int outStride, float[] mean,
                                        int statOff, float[] rstd, float[] inp, int inOff, int inStride,
                                        float[] weight, int wOff, float[] bias, int bOff, int rows, int c, float eps) {
        pool.parallelFor(rows, GRAIN, (start, end) -> {
            float[] lanes = LANES.get();
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, y = outOff + r * outStride;
                var acc = FloatVector.zero(S);
                int i = 0;
                for (; i <= c - L; i += L) acc = acc.add(FloatVector.fromArray(S, inp, x + i));
                float sum = sum(acc, lanes);
                for (; i < c; i++) sum += inp[x + i];
                float m = sum / c;
                var mv = FloatVector.broadcast(S, m);
                acc = FloatVector.zero(S);
                for (i = 0; i <= c - L; i += L) {
                    var d = FloatVector.fromArray(S, inp, x + i).sub(mv);
                    acc = d.fma(d, acc);
                }
                float v = sum(acc, lanes);
                for (; i < c; i++) {
                    float d = inp[x + i] - m;
                    v = Math.fma(d, d, v);
                }
                float s = (float) (1.0 / Math.sqrt((double) v / c + eps));
                var sv = FloatVector.broadcast(S, s);
                if (bias != null) {
                    for (i = 0; i <= c - L; i += L) {
                        var n = FloatVector.fromArray(S, inp, x + i).sub(mv).mul(sv);
                        n.fma(FloatVector.fromArray(S, weight, wOff + i), FloatVector.fromArray(S, bias, bOff + i))
                                .intoArray(out, y + i);
                    }
                    for (; i < c; i++) out[y + i] = Math.fma((inp[x + i] - m) * s, weight[wOff + i], bias[bOff + i]);
                } else {
                    for (i = 0; i <= c - L; i += L) {
                        FloatVector.fromArray(S, inp, x + i).sub(mv).mul(sv)
                                .mul(FloatVector.fromArray(S, weight, wOff + i)).intoArray(out, y + i);
                    }
                    for (; i < c; i++) out[y + i] = (inp[x + i] - m) * s * weight[wOff + i];
                }
                mean[statOff + r] = m;
                rstd[statOff + r] = s;
            }
        });
    }

    /**
     * LayerNorm backward: dinp += ∂/∂inp, and the weight and bias gradients accumulated into dweight, dbias
     * (dbias may be null). Weight gradients are reduced over rows in a fixed order: each thread owns a range of
     * columns, so no two threads write the same element and the sum order is the row order.
     */
    public static void layerNormBackward(Parallel pool, float[] dinp, int dinOff, int dinStride, float[] dweight,
                                         int dwOff, float[] dbias, int dbOff, float[] dout, int doutOff,
                                         int doutStride, float[] inp, int inOff, int inStride, float[] weight,
                                         int wOff, float[] mean, float[] rstd, int statOff, int rows, int c) {
        pool.parallelFor(rows, GRAIN, (start, end) -> {
            float[] lanes = LANES.get();
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, g = doutOff + r * doutStride, d = dinOff + r * dinStride;
                float m = mean[statOff + r], s = rstd[statOff + r];
                var mv = FloatVector.broadcast(S, m);
                var sv = FloatVector.broadcast(S, s);
                var acc1 = FloatVector.zero(S);
                var acc2 = FloatVector.zero(S);
                int i = 0;
                for (; i <= c - L; i += L) {
                    var norm = FloatVector.fromArray(S, inp, x + i).sub(mv).mul(sv);
                    var dnorm = FloatVector.fromArray(S, weight, wOff + i).mul(FloatVector.fromArray(S, dout, g + i));
                    acc1 = acc1.add(dnorm);
                    acc2 = dnorm.fma(norm, acc2);
                }
                float s1 = sum(acc1, lanes), s2 = sum(acc2, lanes);
                for (; i < c; i++) {
                    float norm = (inp[x + i] - m) * s;
                    float dnorm = weight[wOff + i] * dout[g + i];
                    s1 += dnorm;
                    s2 = Math.fma(dnorm, norm, s2);
                }
                float a = s1 / c, b = s2 / c;
                var av = FloatVector.broadcast(S, a);
                var bv = FloatVector.broadcast(S, b);
                for (i = 0; i <= c - L; i += L) {
                    var norm = FloatVector.fromArray(S, inp, x + i).sub(mv).mul(sv);
                    var dnorm = FloatVector.fromArray(S, weight, wOff + i).mul(FloatVector.fromArray(S, dout, g + i));
                    dnorm.sub(av).sub(norm.mul(bv)).mul(sv).add(FloatVector.fromArray(S, dinp, d + i))
                            .intoArray(dinp, d + i);
                }
                for (; i < c; i++) {
                    float norm = (inp[x + i] - m) * s;
                    float dnorm = weight[wOff + i] * dout[g + i];
                    dinp[d + i] += (dnorm - a - norm * b) * s;
                }
            }
        });
        weightGradients(pool, dweight, dwOff, dbias, dbOff, dout, doutOff, doutStride, inp, inOff, inStride, mean,
                rstd, statOff, rows, c);
    }

    /**
     * dweight[i] += Σ_r (inp[r,i] − mean[r])·rstd[r]·dout[r,i] (mean null: RMSNorm), dbias[i] += Σ_r dout[r,i]
     * (dbias may be null), in row order; threads own ranges of whole column vectors.
     */
    private static void weightGradients(Parallel pool, float[] dweight, int dwOff, float[] dbias, int dbOff,
                                        float[] dout, int doutOff, int doutStride, float[] inp, int inOff,
                                        int inStride, float[] mean, float[] rstd, int statOff, int rows, int c) {
        int vectors = (c + L - 1) / L;
        pool.parallelFor(vectors, (long) rows * c >= 1 << 16 ? 1 : vectors, (vs, ve) -> {
            int i0 = vs * L, i1 = Math.min(c, ve * L);
            int i = i0;
            for (; i + L <= i1; i += L) {
                var dw = FloatVector.fromArray(S, dweight, dwOff + i);
                var db = dbias != null ? FloatVector.fromArray(S, dbias, dbOff + i) : FloatVector.zero(S);
                for (int r = 0; r < rows; r++) {
                    int x = inOff + r * inStride, g = doutOff + r * doutStride;
                    var go = FloatVector.fromArray(S, dout, g + i);
                    var xv = FloatVector.fromArray(S, inp, x + i);
                    if (mean != null) xv = xv.sub(mean[statOff + r]);
                    dw = dw.add(xv.mul(rstd[statOff + r]).mul(go));
                    if (dbias != null) db = db.add(go);
                }
                dw.intoArray(dweight, dwOff + i);
                if (dbias != null) db.intoArray(dbias, dbOff + i);
            }
            for (; i < i1; i++) {
                float dw = dweight[dwOff + i], db = dbias != null ? dbias[dbOff + i] : 0f;
                for (int r = 0; r < rows; r++) {
                    int x = inOff + r * inStride, g = doutOff + r * doutStride;
                    float go = dout[g + i];
                    float xv = inp[x + i];
                    if (mean != null) xv = xv - mean[statOff + r];
                    dw += xv * rstd[statOff + r] * go;
                    db += go;
                }
                dweight[dwOff + i] = dw;
                if (dbias != null) dbias[dbOff + i] = db;
            }
        });
    }

    /** RMSNorm forward: out = inp / sqrt(mean(inp²) + eps) · weight. rstd (rows) is kept for the backward pass. */
    public static void rmsNormForward(Parallel pool, float[] out, int outOff, int outStride, float[] rstd,
                                      int statOff, float[] inp, int inOff, int inStride, float[] weight, int wOff,
                                      int rows, int c, float eps) {
        pool.parallelFor(rows, GRAIN, (start, end) -> {
            float[] lanes = LANES.get();
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, y = outOff + r * outStride;
                var acc = FloatVector.zero(S);
                int i = 0;
                for (; i <= c - L; i += L) {
                    var xv = FloatVector.fromArray(S, inp, x + i);
                    acc = xv.fma(xv, acc);
                }
                float ss = sum(acc, lanes);
                for (; i < c; i++) ss = Math.fma(inp[x + i], inp[x + i], ss);
                float s = (float) (1.0 / Math.sqrt((double) ss / c + eps));
                for (i = 0; i <= c - L; i += L) {
                    FloatVector.fromArray(S, inp, x + i).mul(s).mul(FloatVector.fromArray(S, weight, wOff + i))
                            .intoArray(out, y + i);
                }
                for (; i < c; i++) out[y + i] = inp[x + i] * s * weight[wOff + i];
                rstd[statOff + r] = s;
            }
        });
    }

    /** RMSNorm backward: dinp += ∂/∂inp; dweight += Σ_rows inp·rstd·dout. */
    public static void rmsNormBackward(Parallel pool, float[] dinp, int dinOff, int dinStride, float[] dweight,
                                       int dwOff, float[] dout, int doutOff, int doutStride, float[] inp, int inOff,
                                       int inStride, float[] weight, int wOff, float[] rstd, int statOff, int rows,
                                       int c) {
        pool.parallelFor(rows, GRAIN, (start, end) -> {
            float[] lanes = LANES.get();
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, g = doutOff + r * doutStride, d = dinOff + r * dinStride;
                float s = rstd[statOff + r];
                var acc = FloatVector.zero(S);
                int i = 0;
                for (; i <= c - L; i += L) {
                    var gw = FloatVector.fromArray(S, dout, g + i).mul(FloatVector.fromArray(S, weight, wOff + i));
                    acc = gw.fma(FloatVector.fromArray(S, inp, x + i), acc);
                }
                float dot = sum(acc, lanes);
                for (; i < c; i++) dot = Math.fma(dout[g + i] * weight[wOff + i], inp[x + i], dot);
                float k = dot / c * s * s;
                for (i = 0; i <= c - L; i += L) {
                    var gw = FloatVector.fromArray(S, dout, g + i).mul(FloatVector.fromArray(S, weight, wOff + i));
                    gw.sub(FloatVector.fromArray(S, inp, x + i).mul(k)).mul(s)
                            .add(FloatVector.fromArray(S, dinp, d + i)).intoArray(dinp, d + i);
                }
                for (; i < c; i++) dinp[d + i] += (dout[g + i] * weight[wOff + i] - inp[x + i] * k) * s;
            }
        });
        weightGradients(pool, dweight, dwOff, null, 0, dout, doutOff, doutStride, inp, inOff, inStride, null, rstd,
                statOff, rows, c);
    }
}
