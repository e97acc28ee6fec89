package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix multiplication for the linear layers, forward and backward.
 *
 * <p>All three products of a linear layer are one kernel, {@code C[M,N] (+)= A[M,K] · B[K,N]}, with A read through
 * strides (so A can be a matrix or its transpose without copying) and B packed into panels of {@link #NR} columns
 * so the inner loop is a unit-stride vector load and one broadcast per row. The register tile is {@link #MR} rows
 * by NR columns. Every element of C is summed over k in increasing order by one thread, in blocks of {@link #KC},
 * so the result does not depend on the number of threads — runs are bitwise reproducible.
 *
 * <p>No horizontal vector reductions are used: their lane order is unspecified and may differ between the
 * interpreter and compiled code, which would break determinism.
 */
public final class Matmul {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Columns of C per register tile: two vectors. */
    static final int NR = 2 * L;
    /** Rows of C per register tile. */
    static final int MR = 4;
    /** Depth of one packed block of B. */
    static final int KC = 256;
    /** Rows of C per parallel work item. */
    static final int MC = 64;

    /** One packing buffer per thread, so the training step does not allocate. */
    private static final ThreadLocal<float[]> PACK_BUFFER = ThreadLocal.withInitial(() -> new float[KC * NR]);
    private static final ThreadLocal<float[]> TILE_BUFFER = ThreadLocal.withInitial(() -> new float[MR * NR]);

    private Matmul() {}

    /**
     * out[N,OC] = inp[N,C] · w[OC,C]^T (+ bias[OC]).
     * Shapes: inp (N, C) at inpOff, w (OC, C) at wOff, bias (OC) at biasOff or null, out (N, OC) at outOff.
     */
    public static void forward(Parallel pool, float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff,
                               float[] bias, int biasOff, int n, int c, int oc) {
        if (bias != null) {
            for (int i = 0; i < n; i++) System.arraycopy(bias, biasOff, out, outOff + i * oc, oc);
        }
        // A = inp: element (m,k) at m*C + k. B = w^T: element (k,j) = w[j,k], i.e. stored transposed.
        gemm(pool, out, outOff, oc, inp, inpOff, c, 1, w, wOff, true, c, n, oc, c, bias != null);
    }

    /**
     * Backward of {@link #forward}: dinp[N,C] = dout · w (overwritten: it is always a fresh activation gradient);
     * dw[OC,C] += dout^T · inp and dbias[OC] += Σ_n dout (accumulated, for gradient accumulation and tied weights).
     * dinp, dw and dbias may each be null to skip that gradient.
     */
    public static void backward(Parallel pool, float[] dinp, int dinpOff, float[] dw, int dwOff, float[] dbias,
                                int dbiasOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] w, int wOff,
                                int n, int c, int oc) {
        if (dinp != null) {
            // A = dout (N, OC) row-major; B = w (OC, C) row-major.
            gemm(pool, dinp, dinpOff, c, dout, doutOff, oc, 1, w, wOff, false, c, n, c, oc, false);
        }
        if (dw != null) {
            // A = dout^T: element (o, t) at t*OC + o. B = inp (N, C) row-major.
            gemm(pool, dw, dwOff, c, dout, doutOff, 1, oc, inp, inpOff, false, c, oc, c, n, true);
        }
        if (dbias != null) {
            final int ocf = oc;
            pool.parallelFor(oc, (start, end) -> {
                for (int t = 0; t < n; t++) {
                    int base = doutOff + t * ocf;
                    for (int o = start; o < end; o++) dbias[dbiasOff + o] += dout[base + o];
                }
            });
        }
    }

    /**
     * C[M,N] (+)= A[M,K] · B[K,N]. A element (m,k) is a[aOff + m*aRowStride + k*aKStride]. B is row-major
     * [K, N] with row stride ldb, or, when {@code bTransposed}, stored as [N, K] with row stride ldb.
     * C is row-major with row stride ldc. When {@code accumulate} is false, C is overwritten.
     */
    static void gemm(Parallel pool, float[] cArr, int cOff, int ldc, float[] a, int aOff, int aRowStride,
                     int aKStride, float[] b, int bOff, boolean bTransposed, int ldb, int m, int n, int k,
                     boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(cArr, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        int tiles = ((n + NR - 1) / NR) * ((m + MC - 1) / MC);
        pool.parallelFor(tiles, (start, end) -> gemmTiles(start, end, cArr, cOff, ldc, a, aOff, aRowStride, aKStride,
                b, bOff, bTransposed, ldb, m, n, k, accumulate));
    }

    /** {@link #gemm} on the calling thread only: for the small per-head products inside attention. */
    static void gemmSerial(float[] cArr, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aKStride,
                           float[] b, int bOff, boolean bTransposed, int ldb, int m, int n, int k,
                           boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(cArr, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        int tiles = ((n + NR - 1) / NR) * ((m + MC - 1) / MC);
        gemmTiles(0, tiles, cArr, cOff, ldc, a, aOff, aRowStride, aKStride, b, bOff, bTransposed, ldb, m, n, k,
                accumulate);
    }

    /** Work items [start, end) of a gemm: item t is the MC-row block t % mBlocks of the NR-column panel t / mBlocks. */
    private static void gemmTiles(int start, int end, float[] cArr, int cOff, int ldc, float[] a, int aOff,
                                  int aRowStride, int aKStride, float[] b, int bOff, boolean bTransposed, int ldb,
                                  int m, int n, int k, boolean accumulate) {
        int mBlocks = (m + MC - 1) / MC;
        float[] packed = PACK_BUFFER.get();
        for (int t = start; t < end; t++) {
            int panel = t / mBlocks, mb = t % mBlocks;
            int j0 = panel * NR, nc = Math.min(NR, n - j0);
            int i0 = mb * MC, i1 = Math.min(m, i0 + MC);
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = Math.min(KC, k - k0);
                packB(packed, b, bOff, bTransposed, ldb, k0, kc, j0, nc);
                boolean acc = accumulate || k0 > 0;
                int i = i0;
                if (nc == NR) {
                    for (; i + MR <= i1; i += MR) {
                        kernel4(cArr, cOff + i * ldc + j0, ldc, a, aOff + i * aRowStride + k0 * aKStride, aRowStride,
                                aKStride, packed, kc, acc);
                    }
                    for (; i < i1; i++) {
                        kernel1(cArr, cOff + i * ldc + j0, a, aOff + i * aRowStride + k0 * aKStride, aKStride, packed,
                                kc, acc);
                    }
                } else {
                    // a partial panel: compute full-width tiles into scratch and copy the valid columns, so the
                    // kernels never need masked vector operations (which keep C2 from inlining them)
                    float[] tile = TILE_BUFFER.get();
                    for (; i < i1; i += MR) {
                        int rows = Math.min(MR, i1 - i);
                        if (rows == MR) {
                            kernel4(tile, 0, NR, a, aOff + i * aRowStride + k0 * aKStride, aRowStride, aKStride,
                                    packed, kc, false);
                        } else {
                            for (int r = 0; r < rows; r++) {
                                kernel1(tile, r * NR, a, aOff + (i + r) * aRowStride + k0 * aKStride, aKStride, packed,
                                        kc, false);
                            }
                        }
                        for (int r = 0; r < rows; r++) {
                            int dst = cOff + (i + r) * ldc + j0;
                            for (int j = 0; j < nc; j++) cArr[dst + j] = acc ? cArr[dst + j] + tile[r * NR + j] : tile[r * NR + j];
                        }
                    }
                }
            }
        }
    }

    /** Packs B[k0:k0+kc, j0:j0+nc] into packed[kk*NR + jj], zero-padding the columns beyond nc. */
    private static void packB(float[] packed, float[] b, int bOff, boolean bTransposed, int ldb, int k0, int kc,
                              int j0, int nc) {
        if (!bTransposed) {
            for (int kk = 0; kk < kc; kk++) {
                int src = bOff + (k0 + kk) * ldb + j0, dst = kk * NR;
                System.arraycopy(b, src, packed, dst, nc);
                if (nc < NR) java.util.Arrays.fill(packed, dst + nc, dst + NR, 0f);
            }
        } else {
            if (nc < NR) java.util.Arrays.fill(packed, 0, kc * NR, 0f);
            for (int jj = 0; jj < nc; jj++) {
                int src = bOff + (j0 + jj) * ldb + k0;
                for (int kk = 0; kk < kc; kk++) packed[kk * NR + jj] = b[src + kk];
            }
        }
    }

    private static void kernel4(float[] c, int cOff, int ldc, float[] a, int aOff, int rs, int ks, float[] bp, int kc,
                                boolean accumulate) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        int a0 = aOff, a1 = aOff + rs, a2 = aOff + 2 * rs, a3 = aOff + 3 * rs;
        for (int kk = 0; kk < kc; kk++) {
            var b0 = FloatVector.fromArray(S, bp, kk * NR);
            var b1 = FloatVector.fromArray(S, bp, kk * NR + L);
            int ak = kk * ks;
            var x0 = FloatVector.broadcast(S, a[a0 + ak]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            var x1 = FloatVector.broadcast(S, a[a1 + ak]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            var x2 = FloatVector.broadcast(S, a[a2 + ak]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            var x3 = FloatVector.broadcast(S, a[a3 + ak]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
        }
        store(c, cOff, c00, c01, accumulate);
        store(c, cOff + ldc, c10, c11, accumulate);
        store(c, cOff + 2 * ldc, c20, c21, accumulate);
        store(c, cOff + 3 * ldc, c30, c31, accumulate);
    }

    private static void kernel1(float[] c, int cOff, float[] a, int aOff, int ks, float[] bp, int kc,
                                boolean accumulate) {
        var c0 = FloatVector.zero(S);
        var c1 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            var x = FloatVector.broadcast(S, a[aOff + kk * ks]);
            c0 = x.fma(FloatVector.fromArray(S, bp, kk * NR), c0);
            c1 = x.fma(FloatVector.fromArray(S, bp, kk * NR + L), c1);
        }
        store(c, cOff, c0, c1, accumulate);
    }

    private static void store(float[] c, int off, FloatVector v0, FloatVector v1, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(S, c, off));
            v1 = v1.add(FloatVector.fromArray(S, c, off + L));
        }
        v0.intoArray(c, off);
        v1.intoArray(c, off + L);
    }

    /** Plain triple-loop reference of {@link #forward}, for tests. */
    public static void forwardReference(float[] out, float[] inp, float[] w, float[] bias, int n, int c, int oc) {
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < oc; o++) {
                double s = bias != null ? bias[o] : 0;
                for (int i = 0; i < c; i++) s += (double) inp[t * c + i] * w[o * c + i];
                out[t * oc + o] = (float) s;
            }
        }
    }
}
