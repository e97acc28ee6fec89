package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Matrix multiplication for the linear layers, forward and backward.
 *
 * <p>All three products of a linear layer are one kernel, {@code C[M,N] (+)= A[M,K] · B[K,N]}, with A read through
 * strides (so A can be a matrix or its transpose without copying) and B either row-major or transposed. It is the
 * classic packed GEMM (Goto/BLIS): for each block of {@link #NB} columns and each block of {@link #KC} of the depth,
 * B is packed once into panels of {@link #NR} columns (shared by all threads), then the rows are cut into tasks
 * that pack their block of A into micro-panels of {@link #MR} rows and run an MR×NR register-tiled micro-kernel
 * (2 vectors wide, {@link #MR} rows: enough independent FMA chains to hide the FMA latency).
 *
 * <p>The depth is cut into blocks of at most {@link #KC} that depend on K alone. Within a block, every element of C is
 * one chain of fused multiply-adds over k in increasing order, started from 0 (or from the bias, in the first block of
 * a product with one); the block's sum then overwrites C (the first block, unless accumulating) or is added to it.
 * Which thread computes an element, and which tile it falls into, does not change that arithmetic, so the result does
 * not depend on the number of threads — runs are bitwise reproducible. Edge tiles are computed full-size on
 * zero-padded panels into a scratch tile, so the kernel needs no masked vector operations (which keep C2 from inlining
 * it).
 *
 * <p>No horizontal vector reductions are used: their lane order is unspecified and may differ between the
 * interpreter and compiled code, which would break determinism.
 */
public final class Matmul {

    static final VectorSpecies<Float> S = Simd.FLOAT;
    static final int L = S.length();
    /** Columns of C per register tile: two vectors. */
    static final int NR = 2 * L;
    /**
     * Rows of C per register tile: 8 with 512-bit vectors (16 accumulators of the 32 registers), 5 with narrower ones
     * (10 accumulators of AVX2's 16 registers; see the 5-row kernels for why not 6).
     */
    static final int MR = L >= 16 ? 8 : 5;
    /** Largest depth of one packed block. */
    static final int KC = Integer.getInteger("fw.kc", 256);
    /** Rows of C per task (at most). */
    static final int MC = Integer.getInteger("fw.mc", 256);
    /** Columns of C per task (at most). */
    static final int NT = Integer.getInteger("fw.nt", 256);
    static final int NTMAX = Integer.getInteger("fw.ntmax", 1 << 20), MINT = Integer.getInteger("fw.mint", 4), MCMIN = Integer.getInteger("fw.mcmin", 32);
    /** Largest packed B (floats, 4 MB, cache-sized): beyond it a product is done in chunks. */
    static final int PACK_CAP = 1 << 20;
    /** Products with at most this many columns read a row-major A in place instead of packing it. */
    static final int DIRECT_N = Integer.getInteger("fw.directn", 4 * NR);
    /** {@link #PACK_CAP}, lowered by tests to exercise the chunked paths on small products. */
    static int packCap = Integer.getInteger("fw.packcap", PACK_CAP);
    /** Below this many multiply-adds a product runs on the calling thread: waking the pool costs more. */
    static final long PARALLEL_MIN = 1L << 17;

    private Matmul() {}

    /**
     * out[N,OC] = inp[N,C] · w[OC,C]^T (+ bias[OC]).
     * Shapes: inp (N, C) at inpOff, w (OC, C) at wOff, bias (OC) at biasOff or null, out (N, OC) at outOff.
     */
    public static void forward(Parallel pool, float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff,
                               float[] bias, int biasOff, int n, int c, int oc) {
        // A = inp: element (m,k) at m*C + k. B = w^T: element (k,j) = w[j,k], i.e. stored transposed. The sums start
        // from the bias.
        gemm(pool, out, outOff, oc, inp, inpOff, c, 1, w, wOff, true, c, n, oc, c, false, bias, biasOff);
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
            // each thread owns whole column vectors and sums them over rows in row order
            int vectors = (oc + L - 1) / L;
            pool.parallelFor(vectors, (long) n * oc >= 1 << 16 ? 1 : vectors, (vs, ve) -> {
                int o0 = vs * L, o1 = Math.min(oc, ve * L), o = o0;
                for (; o + L <= o1; o += L) {
                    var acc = FloatVector.fromArray(S, dbias, dbiasOff + o);
                    for (int t = 0; t < n; t++) acc = acc.add(FloatVector.fromArray(S, dout, doutOff + t * oc + o));
                    acc.intoArray(dbias, dbiasOff + o);
                }
                for (; o < o1; o++) {
                    float acc = dbias[dbiasOff + o];
                    for (int t = 0; t < n; t++) acc += dout[doutOff + t * oc + o];
                    dbias[dbiasOff + o] = acc;
                }
            });
        }
    }

    /**
     * {@link #forward} of one of the model's linear layers, its weight and bias in params:
     * out (rows, lin.out) = inp (rows, lin.in) · W^T (+ b).
     */
    public static void forward(Parallel pool, Slice out, Slice inp, float[] params, ParameterLayout.Linear lin,
                               int rows) {
        forward(pool, out.data(), out.off(), inp.data(), inp.off(), params, lin.weight(),
                lin.hasBias() ? params : null, lin.bias(), rows, lin.in(), lin.out());
    }

    /**
     * {@link #backward} of one of the model's linear layers: dinp (rows, lin.in) overwritten from dout (rows,
     * lin.out); dW and db accumulated into grads at the offsets of W and b in params.
     */
    public static void backward(Parallel pool, Slice dinp, Slice dout, Slice inp, float[] params, float[] grads,
                                ParameterLayout.Linear lin, int rows) {
        backward(pool, dinp.data(), dinp.off(), grads, lin.weight(), lin.hasBias() ? grads : null, lin.bias(),
                dout.data(), dout.off(), inp.data(), inp.off(), params, lin.weight(), rows, lin.in(), lin.out());
    }

    /**
     * C[M,N] (+)= A[M,K] · B[K,N]. A element (m,k) is a[aOff + m*aRowStride + k*aKStride]. B is row-major
     * [K, N] with row stride ldb, or, when {@code bTransposed}, stored as [N, K] with row stride ldb.
     * C is row-major with row stride ldc. When {@code accumulate} is false, C is overwritten.
     */
    static void gemm(Parallel pool, float[] cArr, int cOff, int ldc, float[] a, int aOff, int aRowStride,
                     int aKStride, float[] b, int bOff, boolean bTransposed, int ldb, int m, int n, int k,
                     boolean accumulate) {
        gemm(pool, cArr, cOff, ldc, a, aOff, aRowStride, aKStride, b, bOff, bTransposed, ldb, m, n, k, accumulate,
                null, 0);
    }

    /**
     * {@link #gemm}, the sums starting from {@code bias[biasOff + j]} (for every row) instead of 0 when bias is not
     * null (then accumulate must be false).
     */
    static void gemm(Parallel pool, float[] cArr, int cOff, int ldc, float[] a, int aOff, int aRowStride,
                     int aKStride, float[] b, int bOff, boolean bTransposed, int ldb, int m, int n, int k,
                     boolean accumulate, float[] bias, int biasOff) {
        boolean parallel = pool.threads() > 1 && (long) m * n * k >= PARALLEL_MIN;
        if (!parallel) {
            gemmSerial(cArr, cOff, ldc, a, aOff, aRowStride, aKStride, b, bOff, bTransposed, ldb, m, n, k, accumulate,
                    bias, biasOff);
            return;
        }
        if (m == 0 || n == 0) return;
        Gemm job = driving(pool.threads());
        job.set(cArr, cOff, ldc, a, aOff, aRowStride, aKStride, b, bOff, bTransposed, ldb, m, n, k, accumulate);
        job.bias = bias;
        job.biasOff = biasOff;
        for (int j0 = 0; j0 < n; j0 += job.nChunk) {
            for (int kb0 = 0; kb0 < job.kBlocks; kb0 += job.kChunk) {
                job.chunk(j0, kb0, pool.threads());
                pool.parallelFor(job.panels * (job.kb1 - job.kb0), job.packer);
                job.next.set(0);
                pool.parallelFor(pool.threads(), job);
            }
        }
        job.clear();
    }

    /** {@link #gemm} on the calling thread only: for small products. */
    static void gemmSerial(float[] cArr, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aKStride,
                           float[] b, int bOff, boolean bTransposed, int ldb, int m, int n, int k,
                           boolean accumulate) {
        gemmSerial(cArr, cOff, ldc, a, aOff, aRowStride, aKStride, b, bOff, bTransposed, ldb, m, n, k, accumulate,
                null, 0);
    }

    static void gemmSerial(float[] cArr, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aKStride,
                           float[] b, int bOff, boolean bTransposed, int ldb, int m, int n, int k,
                           boolean accumulate, float[] bias, int biasOff) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                if (bias != null) System.arraycopy(bias, biasOff, cArr, cOff + i * ldc, n);
                else if (!accumulate) Arrays.fill(cArr, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
            return;
        }
        Gemm job = SERIAL.get();
        job.set(cArr, cOff, ldc, a, aOff, aRowStride, aKStride, b, bOff, bTransposed, ldb, m, n, k, accumulate);
        job.bias = bias;
        job.biasOff = biasOff;
        for (int j0 = 0; j0 < n; j0 += job.nChunk) {
            for (int kb0 = 0; kb0 < job.kBlocks; kb0 += job.kChunk) {
                job.chunk(j0, kb0, 1);
                job.packer.run(0, job.panels * (job.kb1 - job.kb0));
                for (int t = 0; t < job.tasks; t++) job.task(0, t);
            }
        }
        job.clear();
    }

    private static final ThreadLocal<Gemm> SERIAL = ThreadLocal.withInitial(() -> new Gemm(1));
    /**
     * Scratch of the parallel products driven from each thread. It belongs to the driving thread rather than to the
     * pool so that the pool knows nothing of matrix products; a pool is driven by one thread at a time, so the two
     * come to the same thing, and the step still allocates nothing once the first product has run.
     */
    private static final ThreadLocal<Gemm> DRIVING = new ThreadLocal<>();

    /** The calling thread's scratch for a product on a pool of {@code threads}, grown to the widest pool seen. */
    private static Gemm driving(int threads) {
        Gemm job = DRIVING.get();
        if (job == null || job.threads() < threads) DRIVING.set(job = new Gemm(threads));
        return job;
    }

    /** Start of block i of n near-equal blocks over [0, k): depends only on k, never on the thread count. */
    static int blockStart(int k, int blocks, int i) {
        return (int) ((long) k * i / blocks);
    }

    /**
     * One product in flight and its scratch: the shared packed B of one chunk of columns (all of the depth, block
     * after block), and a packed block of A and an edge tile per thread. Each driving thread owns one, so the
     * training step allocates nothing. A product is one packing phase and one compute phase per chunk of columns
     * (one chunk unless K·N exceeds {@link #PACK_CAP}). In the compute phase — this object as a
     * {@link Parallel.Range} — each thread takes tasks (a block of rows × a block of columns, over the whole depth)
     * from a shared counter: any thread may compute any task, since a task's result does not depend on who computes
     * it.
     */
    static final class Gemm implements Parallel.Range {
        float[] bPack = new float[0];
        final float[][] aPack, tile, biasTile;
        final AtomicInteger next = new AtomicInteger();
        final Parallel.Range packer = this::packPanels;
        // the product
        float[] c, a, b, bias;
        int cOff, ldc, aOff, rs, ks, bOff, ldb, biasOff, m, n, k, kBlocks, nChunk, kChunk;
        boolean bT, accumulate;
        // the current chunk: columns j0..j0+nb, depth blocks kb0..kb1 (from depth kBase)
        int j0, nb, kb0, kb1, kBase, panels, mc, nt, mBlocks, nBlocks, tasks;

        Gemm(int threads) {
            aPack = new float[threads][MC * KC];
            tile = new float[threads][MR * NR];
            biasTile = new float[threads][NR];
        }

        /** Threads this scratch has room for. */
        int threads() {
            return aPack.length;
        }

        void set(float[] c, int cOff, int ldc, float[] a, int aOff, int rs, int ks, float[] b, int bOff, boolean bT,
                 int ldb, int m, int n, int k, boolean accumulate) {
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            this.a = a;
            this.aOff = aOff;
            this.rs = rs;
            this.ks = ks;
            this.b = b;
            this.bOff = bOff;
            this.bT = bT;
            this.ldb = ldb;
            this.m = m;
            this.n = n;
            this.k = k;
            this.accumulate = accumulate;
            this.kBlocks = (k + KC - 1) / KC;
            long paddedN = (n + NR - 1) / NR * NR;
            // B packed whole when it fits; else in chunks along its longer side (the other operand is packed
            // once per chunk, so chunks along the depth re-pack nothing when the depth is the long side)
            long cap = packCap;
            if ((long) k * paddedN <= cap) {
                nChunk = n;
                kChunk = kBlocks;
            } else if (k >= n) {
                nChunk = n;
                kChunk = (int) Math.max(1, cap / (paddedN * KC));
            } else {
                nChunk = (int) Math.max(NR, cap / k / NR * NR);
                kChunk = kBlocks;
            }
        }

        void clear() {
            c = a = b = bias = null;
        }

        /**
         * Sets up the chunk (columns from j0, depth blocks from kb0) and cuts it into tasks: a block of up to MC
         * rows × all the chunk's columns, split — the longer side first, rows down to 4·MR — until there are 4
         * tasks per thread.
         */
        void chunk(int j0, int kb0, int threads) {
            this.j0 = j0;
            this.nb = Math.min(nChunk, n - j0);
            this.kb0 = kb0;
            this.kb1 = Math.min(kBlocks, kb0 + kChunk);
            this.kBase = blockStart(k, kBlocks, kb0);
            this.panels = (nb + NR - 1) / NR;
            int need = panels * NR * (blockStart(k, kBlocks, kb1) - kBase);
            if (bPack.length < need) bPack = new float[need];
            int mc = Math.min(MC / MR * MR, (m + MR - 1) / MR * MR), nt = Math.min(panels * NR, NTMAX);
            int minTasks = threads == 1 ? 1 : MINT * threads;
            while (((m + mc - 1) / mc) * ((nb + nt - 1) / nt) < minTasks) {
                if (nt >= 2 * mc && nt > NR) nt = Math.max(NR, nt / 2 / NR * NR);
                else if (mc > MCMIN) mc = Math.max(MR, mc / 2 / MR * MR);
                else if (nt > NR) nt = Math.max(NR, nt / 2 / NR * NR);
                else if (mc > MR) mc = Math.max(MR, mc / 2 / MR * MR);
                else break;
            }
            this.mc = mc;
            this.nt = nt;
            this.mBlocks = (m + mc - 1) / mc;
            this.nBlocks = (nb + nt - 1) / nt;
            this.tasks = mBlocks * nBlocks;
        }

        /** Packs items [s, e) of the chunk of B: item = (depth block, panel); block kb at (k0 − kBase)·panels·NR. */
        void packPanels(int s, int e) {
            for (int item = s; item < e; item++) {
                int kb = kb0 + item / panels, p = item % panels;
                int k0 = blockStart(k, kBlocks, kb), kc = blockStart(k, kBlocks, kb + 1) - k0;
                int j = j0 + p * NR;
                packB(bPack, (k0 - kBase) * panels * NR + p * kc * NR, b, bOff, bT, ldb, k0, kc, j,
                        Math.min(NR, n - j));
            }
        }

        /** The compute phase on thread {@code thread}: takes tasks until none are left. */
        @Override
        public void run(int thread, int unused) {
            int t;
            while ((t = next.getAndIncrement()) < tasks) task(thread, t);
        }

        /** Task t: rows block t / nBlocks, columns block t % nBlocks of the chunk, over all depth blocks. */
        void task(int thread, int t) {
            int ib = t / nBlocks, jb = t % nBlocks;
            int i0 = ib * mc, i1 = Math.min(m, i0 + mc), iFull = i0 + (i1 - i0) / MR * MR;
            int js = jb * nt, je = Math.min(nb, js + nt);
            float[] ap = aPack[thread], tl = tile[thread];
            // A read in place (row-major, few columns to amortise packing over); only a last partial micro-panel
            // of rows is packed (zero-padded), at the start of ap
            boolean direct = ks == 1 && nb <= DIRECT_N;
            for (int kb = kb0; kb < kb1; kb++) {
                int k0 = blockStart(k, kBlocks, kb), kc = blockStart(k, kBlocks, kb + 1) - k0;
                boolean acc = accumulate || kb > 0;
                if (!direct) packA(ap, a, aOff, rs, ks, i0, i1, k0, kc);
                else if (iFull < i1) packA(ap, a, aOff, rs, ks, iFull, i1, k0, kc);
                int kBase = (k0 - this.kBase) * panels * NR;
                for (int j = js; j < je; j += NR) {
                    int bpo = kBase + (j / NR) * kc * NR, nc = Math.min(NR, nb - j), cj = cOff + j0 + j;
                    for (int i = i0; i < i1; i += MR) {
                        int mr = Math.min(MR, i1 - i);
                        boolean rows = direct && mr == MR;
                        float[] src = rows ? a : ap;
                        int so = rows ? aOff + i * rs + k0 : direct ? 0 : (i - i0) * kc;
                        if (mr == MR && nc == NR) {
                            int co = cj + i * ldc;
                            if (acc) {
                                if (rows) kernelAddRows(src, so, rs, bPack, bpo, kc, c, co, ldc);
                                else kernelAdd(src, so, MR, bPack, bpo, kc, c, co, ldc);
                            } else if (bias != null) {
                                if (rows) kernelBiasRows(src, so, rs, bPack, bpo, kc, c, co, ldc, bias, biasOff + j0 + j);
                                else kernelBias(src, so, MR, bPack, bpo, kc, c, co, ldc, bias, biasOff + j0 + j);
                            } else {
                                if (rows) kernelSetRows(src, so, rs, bPack, bpo, kc, c, co, ldc);
                                else kernelSet(src, so, MR, bPack, bpo, kc, c, co, ldc);
                            }
                        } else {
                            if (acc) {
                                for (int r = 0; r < mr; r++) System.arraycopy(c, cj + (i + r) * ldc, tl, r * NR, nc);
                                if (rows) kernelAddRows(src, so, rs, bPack, bpo, kc, tl, 0, NR);
                                else kernelAdd(src, so, MR, bPack, bpo, kc, tl, 0, NR);
                            } else if (bias != null) {
                                // the bias's columns, zero-padded to NR: the same sums as a full tile's
                                float[] bt = biasTile[thread];
                                System.arraycopy(bias, biasOff + j0 + j, bt, 0, nc);
                                Arrays.fill(bt, nc, NR, 0f);
                                if (rows) kernelBiasRows(src, so, rs, bPack, bpo, kc, tl, 0, NR, bt, 0);
                                else kernelBias(src, so, MR, bPack, bpo, kc, tl, 0, NR, bt, 0);
                            } else {
                                if (rows) kernelSetRows(src, so, rs, bPack, bpo, kc, tl, 0, NR);
                                else kernelSet(src, so, MR, bPack, bpo, kc, tl, 0, NR);
                            }
                            for (int r = 0; r < mr; r++) System.arraycopy(tl, r * NR, c, cj + (i + r) * ldc, nc);
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs A[i0:i1, k0:k0+kc] into micro-panels of MR rows: panel q at q·MR·kc holds element (kk, r) at kk·MR + r.
     * Rows beyond i1 in the last panel are zero.
     */
    static void packA(float[] ap, float[] a, int aOff, int rs, int ks, int i0, int i1, int k0, int kc) {
        for (int i = i0; i < i1; i += MR) {
            int mr = Math.min(MR, i1 - i), base = (i - i0) * kc;
            if (mr == MR && rs == 1 && MR == 8) {
                // A stored transposed: the MR values of one k are contiguous
                for (int kk = 0; kk < kc; kk++) {
                    FloatVector.fromArray(FloatVector.SPECIES_256, a, aOff + i + (k0 + kk) * ks)
                            .intoArray(ap, base + kk * MR);
                }
                continue;
            }
            if (mr == MR && rs == 1 && MR < L) {
                // the same with fewer rows than lanes: each k's vector also writes the first lanes of the next
                // k's slot, which that k then overwrites; the last k (and any whose vector would read past the
                // end of a) is copied by element, so nothing is written beyond the micro-panel
                int kk = 0;
                for (int src = aOff + i + k0 * ks; kk < kc - 1 && src + L <= a.length; kk++, src += ks) {
                    FloatVector.fromArray(S, a, src).intoArray(ap, base + kk * MR);
                }
                for (; kk < kc; kk++) {
                    int src = aOff + i + (k0 + kk) * ks, dst = base + kk * MR;
                    for (int r = 0; r < MR; r++) ap[dst + r] = a[src + r];
                }
                continue;
            }
            if (ks == 1) {
                int kk0 = 0;
                if (mr == MR && TRANSPOSE) {
                    for (; kk0 + 16 <= kc; kk0 += 16) transpose8x16(ap, base + kk0 * MR, a, aOff + i * rs + k0 + kk0, rs);
                }
                for (int r = 0; r < mr; r++) {
                    int src = aOff + (i + r) * rs + k0, dst = base + r;
                    for (int kk = kk0; kk < kc; kk++) ap[dst + kk * MR] = a[src + kk];
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    int src = aOff + i * rs + (k0 + kk) * ks, dst = base + kk * MR;
                    for (int r = 0; r < mr; r++) ap[dst + r] = a[src + r * rs];
                }
            }
            if (mr < MR) {
                for (int kk = 0; kk < kc; kk++) Arrays.fill(ap, base + kk * MR + mr, base + kk * MR + MR, 0f);
            }
        }
    }

    /** Packs B[k0:k0+kc, j0:j0+nc] into packed[dst + kk*NR + jj], zero-padding the columns beyond nc. */
    static void packB(float[] packed, int dst, float[] b, int bOff, boolean bTransposed, int ldb, int k0, int kc,
                      int j0, int nc) {
        if (!bTransposed) {
            if (nc == NR) {
                for (int kk = 0; kk < kc; kk++) {
                    int src = bOff + (k0 + kk) * ldb + j0, d = dst + kk * NR;
                    FloatVector.fromArray(S, b, src).intoArray(packed, d);
                    FloatVector.fromArray(S, b, src + L).intoArray(packed, d + L);
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    int src = bOff + (k0 + kk) * ldb + j0, d = dst + kk * NR;
                    System.arraycopy(b, src, packed, d, nc);
                    Arrays.fill(packed, d + nc, d + NR, 0f);
                }
            }
        } else {
            if (nc < NR) Arrays.fill(packed, dst, dst + kc * NR, 0f);
            int kk0 = 0;
            if (nc == NR && TRANSPOSE) {
                for (; kk0 + 16 <= kc; kk0 += 16) {
                    for (int g = 0; g < NR; g += 16) {
                        transpose16x16(packed, dst + kk0 * NR + g, NR, b, bOff + (j0 + g) * ldb + k0 + kk0, ldb);
                    }
                }
            }
            for (int jj = 0; jj < nc; jj++) {
                int src = bOff + (j0 + jj) * ldb + k0, d = dst + jj;
                for (int kk = kk0; kk < kc; kk++) packed[d + kk * NR] = b[src + kk];
            }
        }
    }

    // Transposes with two-table lane selections (vpermi2ps on AVX-512): only exact copies, so bit-exact.
    /** The transposing packers need 16-lane float vectors. */
    static final boolean TRANSPOSE = L == 16;
    private static final FloatVector I1LO = index(j -> (j % 2 == 0 ? 0 : 16) + j / 2);
    private static final FloatVector I1HI = index(j -> (j % 2 == 0 ? 0 : 16) + 8 + j / 2);
    private static final FloatVector I2LO = index(j -> ((j / 2) % 2 == 0 ? 0 : 16) + 2 * (j / 4) + j % 2);
    private static final FloatVector I2HI = index(j -> ((j / 2) % 2 == 0 ? 0 : 16) + 8 + 2 * (j / 4) + j % 2);
    private static final FloatVector I3LO = index(j -> ((j / 4) % 2 == 0 ? 0 : 16) + 4 * (j / 8) + j % 4);
    private static final FloatVector I3HI = index(j -> ((j / 4) % 2 == 0 ? 0 : 16) + 8 + 4 * (j / 8) + j % 4);
    private static final FloatVector I4LO = index(j -> (j < 8 ? 0 : 16) + j % 8);
    private static final FloatVector I4HI = index(j -> (j < 8 ? 0 : 16) + 8 + j % 8);

    private static FloatVector index(java.util.function.IntUnaryOperator f) {
        float[] idx = new float[L];
        if (L == 16) for (int j = 0; j < L; j++) idx[j] = f.applyAsInt(j);
        return FloatVector.fromArray(S, idx, 0);
    }

    /**
     * 8 rows × 16 columns of a (row stride ld) into 16 packed columns of 8: dst[kk·8 + r] = a[src + r·ld + kk].
     * Three rounds of interleaving: 32-bit, 64-bit, 128-bit units.
     */
    static void transpose8x16(float[] dst, int d, float[] a, int src, int ld) {
        var r0 = FloatVector.fromArray(S, a, src);
        var r1 = FloatVector.fromArray(S, a, src + ld);
        var r2 = FloatVector.fromArray(S, a, src + 2 * ld);
        var r3 = FloatVector.fromArray(S, a, src + 3 * ld);
        var r4 = FloatVector.fromArray(S, a, src + 4 * ld);
        var r5 = FloatVector.fromArray(S, a, src + 5 * ld);
        var r6 = FloatVector.fromArray(S, a, src + 6 * ld);
        var r7 = FloatVector.fromArray(S, a, src + 7 * ld);
        // rows pairwise, k 0-7 (lo) and 8-15 (hi)
        var p01l = I1LO.selectFrom(r0, r1);
        var p01h = I1HI.selectFrom(r0, r1);
        var p23l = I1LO.selectFrom(r2, r3);
        var p23h = I1HI.selectFrom(r2, r3);
        var p45l = I1LO.selectFrom(r4, r5);
        var p45h = I1HI.selectFrom(r4, r5);
        var p67l = I1LO.selectFrom(r6, r7);
        var p67h = I1HI.selectFrom(r6, r7);
        // rows by four, k in fours
        var q03a = I2LO.selectFrom(p01l, p23l);
        var q03b = I2HI.selectFrom(p01l, p23l);
        var q03c = I2LO.selectFrom(p01h, p23h);
        var q03d = I2HI.selectFrom(p01h, p23h);
        var q47a = I2LO.selectFrom(p45l, p67l);
        var q47b = I2HI.selectFrom(p45l, p67l);
        var q47c = I2LO.selectFrom(p45h, p67h);
        var q47d = I2HI.selectFrom(p45h, p67h);
        // all eight rows, two k per vector
        I3LO.selectFrom(q03a, q47a).intoArray(dst, d);
        I3HI.selectFrom(q03a, q47a).intoArray(dst, d + 16);
        I3LO.selectFrom(q03b, q47b).intoArray(dst, d + 32);
        I3HI.selectFrom(q03b, q47b).intoArray(dst, d + 48);
        I3LO.selectFrom(q03c, q47c).intoArray(dst, d + 64);
        I3HI.selectFrom(q03c, q47c).intoArray(dst, d + 80);
        I3LO.selectFrom(q03d, q47d).intoArray(dst, d + 96);
        I3HI.selectFrom(q03d, q47d).intoArray(dst, d + 112);
    }

    /**
     * 16 rows × 16 columns of b (row stride ld) transposed into dst (row stride dld): dst[d + kk·dld + r] =
     * b[src + r·ld + kk]. Four rounds of interleaving: 32-, 64-, 128-, 256-bit units.
     */
    static void transpose16x16(float[] dst, int d, int dld, float[] b, int src, int ld) {
        var r0 = FloatVector.fromArray(S, b, src);
        var r1 = FloatVector.fromArray(S, b, src + 1 * ld);
        var r2 = FloatVector.fromArray(S, b, src + 2 * ld);
        var r3 = FloatVector.fromArray(S, b, src + 3 * ld);
        var r4 = FloatVector.fromArray(S, b, src + 4 * ld);
        var r5 = FloatVector.fromArray(S, b, src + 5 * ld);
        var r6 = FloatVector.fromArray(S, b, src + 6 * ld);
        var r7 = FloatVector.fromArray(S, b, src + 7 * ld);
        var r8 = FloatVector.fromArray(S, b, src + 8 * ld);
        var r9 = FloatVector.fromArray(S, b, src + 9 * ld);
        var r10 = FloatVector.fromArray(S, b, src + 10 * ld);
        var r11 = FloatVector.fromArray(S, b, src + 11 * ld);
        var r12 = FloatVector.fromArray(S, b, src + 12 * ld);
        var r13 = FloatVector.fromArray(S, b, src + 13 * ld);
        var r14 = FloatVector.fromArray(S, b, src + 14 * ld);
        var r15 = FloatVector.fromArray(S, b, src + 15 * ld);
        // rows pairwise: k 0-7 (l) and 8-15 (h)
        var a0l = I1LO.selectFrom(r0, r1);
        var a0h = I1HI.selectFrom(r0, r1);
        var a1l = I1LO.selectFrom(r2, r3);
        var a1h = I1HI.selectFrom(r2, r3);
        var a2l = I1LO.selectFrom(r4, r5);
        var a2h = I1HI.selectFrom(r4, r5);
        var a3l = I1LO.selectFrom(r6, r7);
        var a3h = I1HI.selectFrom(r6, r7);
        var a4l = I1LO.selectFrom(r8, r9);
        var a4h = I1HI.selectFrom(r8, r9);
        var a5l = I1LO.selectFrom(r10, r11);
        var a5h = I1HI.selectFrom(r10, r11);
        var a6l = I1LO.selectFrom(r12, r13);
        var a6h = I1HI.selectFrom(r12, r13);
        var a7l = I1LO.selectFrom(r14, r15);
        var a7h = I1HI.selectFrom(r14, r15);
        // rows by four: k 0-3, 4-7, 8-11, 12-15
        var b00 = I2LO.selectFrom(a0l, a1l);
        var b01 = I2HI.selectFrom(a0l, a1l);
        var b02 = I2LO.selectFrom(a0h, a1h);
        var b03 = I2HI.selectFrom(a0h, a1h);
        var b10 = I2LO.selectFrom(a2l, a3l);
        var b11 = I2HI.selectFrom(a2l, a3l);
        var b12 = I2LO.selectFrom(a2h, a3h);
        var b13 = I2HI.selectFrom(a2h, a3h);
        var b20 = I2LO.selectFrom(a4l, a5l);
        var b21 = I2HI.selectFrom(a4l, a5l);
        var b22 = I2LO.selectFrom(a4h, a5h);
        var b23 = I2HI.selectFrom(a4h, a5h);
        var b30 = I2LO.selectFrom(a6l, a7l);
        var b31 = I2HI.selectFrom(a6l, a7l);
        var b32 = I2LO.selectFrom(a6h, a7h);
        var b33 = I2HI.selectFrom(a6h, a7h);
        // rows by eight: two k per vector
        var c00 = I3LO.selectFrom(b00, b10);
        var c01 = I3HI.selectFrom(b00, b10);
        var c02 = I3LO.selectFrom(b01, b11);
        var c03 = I3HI.selectFrom(b01, b11);
        var c04 = I3LO.selectFrom(b02, b12);
        var c05 = I3HI.selectFrom(b02, b12);
        var c06 = I3LO.selectFrom(b03, b13);
        var c07 = I3HI.selectFrom(b03, b13);
        var c10 = I3LO.selectFrom(b20, b30);
        var c11 = I3HI.selectFrom(b20, b30);
        var c12 = I3LO.selectFrom(b21, b31);
        var c13 = I3HI.selectFrom(b21, b31);
        var c14 = I3LO.selectFrom(b22, b32);
        var c15 = I3HI.selectFrom(b22, b32);
        var c16 = I3LO.selectFrom(b23, b33);
        var c17 = I3HI.selectFrom(b23, b33);
        // all sixteen rows: one k per vector
        I4LO.selectFrom(c00, c10).intoArray(dst, d + 0 * dld);
        I4HI.selectFrom(c00, c10).intoArray(dst, d + 1 * dld);
        I4LO.selectFrom(c01, c11).intoArray(dst, d + 2 * dld);
        I4HI.selectFrom(c01, c11).intoArray(dst, d + 3 * dld);
        I4LO.selectFrom(c02, c12).intoArray(dst, d + 4 * dld);
        I4HI.selectFrom(c02, c12).intoArray(dst, d + 5 * dld);
        I4LO.selectFrom(c03, c13).intoArray(dst, d + 6 * dld);
        I4HI.selectFrom(c03, c13).intoArray(dst, d + 7 * dld);
        I4LO.selectFrom(c04, c14).intoArray(dst, d + 8 * dld);
        I4HI.selectFrom(c04, c14).intoArray(dst, d + 9 * dld);
        I4LO.selectFrom(c05, c15).intoArray(dst, d + 10 * dld);
        I4HI.selectFrom(c05, c15).intoArray(dst, d + 11 * dld);
        I4LO.selectFrom(c06, c16).intoArray(dst, d + 12 * dld);
        I4HI.selectFrom(c06, c16).intoArray(dst, d + 13 * dld);
        I4LO.selectFrom(c07, c17).intoArray(dst, d + 14 * dld);
        I4HI.selectFrom(c07, c17).intoArray(dst, d + 15 * dld);
    }


    /**
     * The micro-kernel: C[MR, NR] at co (row stride ldc) = Σ_kk ap[apo + kk·as + r] · bp[bpo + kk·NR + j] (as = MR for
     * a packed micro-panel of A; attention also passes wider strides), the sum started from zero ({@code kernelSet})
     * or from a bias row bias[bo..bo+NR] ({@code kernelBias}), or summed from zero and then added to C's old value
     * ({@code kernelAdd}). kernelAdd reads C only after its loop: read first, C's cache misses (a tile of C is rarely
     * still cached when the next depth block comes back to it) stalled the first FMAs of every call — 6-22% of a whole
     * product on an AVX2 EPYC. The {@code Rows} forms read A in place from MR rows of a row-major matrix (rows a0 +
     * r·rs, k contiguous): for products with few columns, where packing A would cost more than it saves. Each
     * dispatches on {@link #MR}, a constant, to the 8-row or the 5-row kernel.
     */
    static void kernelSet(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        if (MR == 8) kernelSet8(ap, apo, as, bp, bpo, kc, c, co, ldc);
        else kernelSet5(ap, apo, as, bp, bpo, kc, c, co, ldc);
    }

    static void kernelAdd(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        if (MR == 8) kernelAdd8(ap, apo, as, bp, bpo, kc, c, co, ldc);
        else kernelAdd5(ap, apo, as, bp, bpo, kc, c, co, ldc);
    }

    static void kernelBias(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                           float[] bias, int bias0) {
        if (MR == 8) kernelBias8(ap, apo, as, bp, bpo, kc, c, co, ldc, bias, bias0);
        else kernelBias5(ap, apo, as, bp, bpo, kc, c, co, ldc, bias, bias0);
    }

    static void kernelSetRows(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        if (MR == 8) kernelSetRows8(a, a0, rs, bp, bpo, kc, c, co, ldc);
        else kernelSetRows5(a, a0, rs, bp, bpo, kc, c, co, ldc);
    }

    static void kernelAddRows(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        if (MR == 8) kernelAddRows8(a, a0, rs, bp, bpo, kc, c, co, ldc);
        else kernelAddRows5(a, a0, rs, bp, bpo, kc, c, co, ldc);
    }

    static void kernelBiasRows(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                               float[] bias, int bias0) {
        if (MR == 8) kernelBiasRows8(a, a0, rs, bp, bpo, kc, c, co, ldc, bias, bias0);
        else kernelBiasRows5(a, a0, rs, bp, bpo, kc, c, co, ldc, bias, bias0);
    }

    /**
     * The 8-row kernels (512-bit vectors), written out by hand and calling nothing but Vector API intrinsics, and
     * without branches: C2 compiles one into registers only if nothing in it fails to inline, and an uncommon trap in
     * it (an untaken branch that is later taken) can leave it recompiled without the intrinsics.
     */
    static void kernelSet8(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        var c50 = FloatVector.zero(S);
        var c51 = FloatVector.zero(S);
        var c60 = FloatVector.zero(S);
        var c61 = FloatVector.zero(S);
        var c70 = FloatVector.zero(S);
        var c71 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR, ao = apo + kk * as;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ao + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ao + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + L);
        c60.intoArray(c, co + 6 * ldc);
        c61.intoArray(c, co + 6 * ldc + L);
        c70.intoArray(c, co + 7 * ldc);
        c71.intoArray(c, co + 7 * ldc + L);
    }

    static void kernelAdd8(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        var c50 = FloatVector.zero(S);
        var c51 = FloatVector.zero(S);
        var c60 = FloatVector.zero(S);
        var c61 = FloatVector.zero(S);
        var c70 = FloatVector.zero(S);
        var c71 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR, ao = apo + kk * as;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ao + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ao + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
        c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
        c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
        c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
        c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
        c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
        c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
        c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
        c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
        c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
        c50.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
        c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
        c60.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
        c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
        c70.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
        c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
    }

    static void kernelBias8(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                           float[] bias, int bias0) {
        var c00 = FloatVector.fromArray(S, bias, bias0);
        var c01 = FloatVector.fromArray(S, bias, bias0 + L);
        var c10 = FloatVector.fromArray(S, bias, bias0);
        var c11 = FloatVector.fromArray(S, bias, bias0 + L);
        var c20 = FloatVector.fromArray(S, bias, bias0);
        var c21 = FloatVector.fromArray(S, bias, bias0 + L);
        var c30 = FloatVector.fromArray(S, bias, bias0);
        var c31 = FloatVector.fromArray(S, bias, bias0 + L);
        var c40 = FloatVector.fromArray(S, bias, bias0);
        var c41 = FloatVector.fromArray(S, bias, bias0 + L);
        var c50 = FloatVector.fromArray(S, bias, bias0);
        var c51 = FloatVector.fromArray(S, bias, bias0 + L);
        var c60 = FloatVector.fromArray(S, bias, bias0);
        var c61 = FloatVector.fromArray(S, bias, bias0 + L);
        var c70 = FloatVector.fromArray(S, bias, bias0);
        var c71 = FloatVector.fromArray(S, bias, bias0 + L);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR, ao = apo + kk * as;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ao + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ao + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + L);
        c60.intoArray(c, co + 6 * ldc);
        c61.intoArray(c, co + 6 * ldc + L);
        c70.intoArray(c, co + 7 * ldc);
        c71.intoArray(c, co + 7 * ldc + L);
    }

    // The same three kernels reading A in place from 8 rows of a row-major matrix (rows a0 + r·rs, k contiguous):
    // for products with few columns, where packing A would cost more than it saves.

    static void kernelSetRows8(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        var c50 = FloatVector.zero(S);
        var c51 = FloatVector.zero(S);
        var c60 = FloatVector.zero(S);
        var c61 = FloatVector.zero(S);
        var c70 = FloatVector.zero(S);
        var c71 = FloatVector.zero(S);
        int a1 = a0 + 1 * rs, a2 = a0 + 2 * rs, a3 = a0 + 3 * rs, a4 = a0 + 4 * rs, a5 = a0 + 5 * rs, a6 = a0 + 6 * rs, a7 = a0 + 7 * rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + kk]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[a6 + kk]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[a7 + kk]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + L);
        c60.intoArray(c, co + 6 * ldc);
        c61.intoArray(c, co + 6 * ldc + L);
        c70.intoArray(c, co + 7 * ldc);
        c71.intoArray(c, co + 7 * ldc + L);
    }

    static void kernelAddRows8(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        var c50 = FloatVector.zero(S);
        var c51 = FloatVector.zero(S);
        var c60 = FloatVector.zero(S);
        var c61 = FloatVector.zero(S);
        var c70 = FloatVector.zero(S);
        var c71 = FloatVector.zero(S);
        int a1 = a0 + 1 * rs, a2 = a0 + 2 * rs, a3 = a0 + 3 * rs, a4 = a0 + 4 * rs, a5 = a0 + 5 * rs, a6 = a0 + 6 * rs, a7 = a0 + 7 * rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + kk]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[a6 + kk]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[a7 + kk]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
        c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
        c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
        c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
        c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
        c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
        c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
        c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
        c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
        c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
        c50.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
        c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
        c60.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
        c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
        c70.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
        c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
    }

    static void kernelBiasRows8(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                           float[] bias, int bias0) {
        var c00 = FloatVector.fromArray(S, bias, bias0);
        var c01 = FloatVector.fromArray(S, bias, bias0 + L);
        var c10 = FloatVector.fromArray(S, bias, bias0);
        var c11 = FloatVector.fromArray(S, bias, bias0 + L);
        var c20 = FloatVector.fromArray(S, bias, bias0);
        var c21 = FloatVector.fromArray(S, bias, bias0 + L);
        var c30 = FloatVector.fromArray(S, bias, bias0);
        var c31 = FloatVector.fromArray(S, bias, bias0 + L);
        var c40 = FloatVector.fromArray(S, bias, bias0);
        var c41 = FloatVector.fromArray(S, bias, bias0 + L);
        var c50 = FloatVector.fromArray(S, bias, bias0);
        var c51 = FloatVector.fromArray(S, bias, bias0 + L);
        var c60 = FloatVector.fromArray(S, bias, bias0);
        var c61 = FloatVector.fromArray(S, bias, bias0 + L);
        var c70 = FloatVector.fromArray(S, bias, bias0);
        var c71 = FloatVector.fromArray(S, bias, bias0 + L);
        int a1 = a0 + 1 * rs, a2 = a0 + 2 * rs, a3 = a0 + 3 * rs, a4 = a0 + 4 * rs, a5 = a0 + 5 * rs, a6 = a0 + 6 * rs, a7 = a0 + 7 * rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + kk]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[a6 + kk]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[a7 + kk]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + L);
        c60.intoArray(c, co + 6 * ldc);
        c61.intoArray(c, co + 6 * ldc + L);
        c70.intoArray(c, co + 7 * ldc);
        c71.intoArray(c, co + 7 * ldc + L);
    }

    // The same six kernels for 5 rows, for 256- and 128-bit vectors. AVX2 has 16 vector registers: 8 rows (16
    // accumulators) cannot fit, and with 6 rows (12 accumulators, two B vectors, one broadcast A) C2 hoists the
    // broadcasts of several rows and spills an accumulator to the stack in the inner loop, which halves the speed.
    // 5 rows leave it room: 10 accumulators. Measured on a 2-core AVX2 EPYC, 1024^3: 6 rows 32 GFLOP/s one
    // thread, 5 rows 68 (OpenBLAS 78-85).

    static void kernelSet5(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR, ao = apo + kk * as;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
    }

    static void kernelAdd5(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR, ao = apo + kk * as;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
        c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
        c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
        c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
        c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
        c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
        c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
        c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
        c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
        c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
    }

    static void kernelBias5(float[] ap, int apo, int as, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                           float[] bias, int bias0) {
        var c00 = FloatVector.fromArray(S, bias, bias0);
        var c01 = FloatVector.fromArray(S, bias, bias0 + L);
        var c10 = FloatVector.fromArray(S, bias, bias0);
        var c11 = FloatVector.fromArray(S, bias, bias0 + L);
        var c20 = FloatVector.fromArray(S, bias, bias0);
        var c21 = FloatVector.fromArray(S, bias, bias0 + L);
        var c30 = FloatVector.fromArray(S, bias, bias0);
        var c31 = FloatVector.fromArray(S, bias, bias0 + L);
        var c40 = FloatVector.fromArray(S, bias, bias0);
        var c41 = FloatVector.fromArray(S, bias, bias0 + L);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR, ao = apo + kk * as;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
    }

    static void kernelSetRows5(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        int a1 = a0 + 1 * rs, a2 = a0 + 2 * rs, a3 = a0 + 3 * rs, a4 = a0 + 4 * rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
    }

    static void kernelAddRows5(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc) {
        var c00 = FloatVector.zero(S);
        var c01 = FloatVector.zero(S);
        var c10 = FloatVector.zero(S);
        var c11 = FloatVector.zero(S);
        var c20 = FloatVector.zero(S);
        var c21 = FloatVector.zero(S);
        var c30 = FloatVector.zero(S);
        var c31 = FloatVector.zero(S);
        var c40 = FloatVector.zero(S);
        var c41 = FloatVector.zero(S);
        int a1 = a0 + 1 * rs, a2 = a0 + 2 * rs, a3 = a0 + 3 * rs, a4 = a0 + 4 * rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
        c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
        c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
        c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
        c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
        c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
        c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
        c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
        c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
        c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
    }

    static void kernelBiasRows5(float[] a, int a0, int rs, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                           float[] bias, int bias0) {
        var c00 = FloatVector.fromArray(S, bias, bias0);
        var c01 = FloatVector.fromArray(S, bias, bias0 + L);
        var c10 = FloatVector.fromArray(S, bias, bias0);
        var c11 = FloatVector.fromArray(S, bias, bias0 + L);
        var c20 = FloatVector.fromArray(S, bias, bias0);
        var c21 = FloatVector.fromArray(S, bias, bias0 + L);
        var c30 = FloatVector.fromArray(S, bias, bias0);
        var c31 = FloatVector.fromArray(S, bias, bias0 + L);
        var c40 = FloatVector.fromArray(S, bias, bias0);
        var c41 = FloatVector.fromArray(S, bias, bias0 + L);
        int a1 = a0 + 1 * rs, a2 = a0 + 2 * rs, a3 = a0 + 3 * rs, a4 = a0 + 4 * rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bpo + kk * NR;
            var b0 = FloatVector.fromArray(S, bp, bo);
            var b1 = FloatVector.fromArray(S, bp, bo + L);
            var x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
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
