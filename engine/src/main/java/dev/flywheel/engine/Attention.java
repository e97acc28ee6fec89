package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Causal multi-head self-attention between the qkv projection and the output projection, with the optional
 * QK-norm, rotary embeddings and logit soft-cap.
 *
 * <p>Work is split over the B·NH (batch, head) pairs; each pair is computed by one thread in a fixed order. Within a
 * head, queries are taken in blocks of {@link #QB} (two vectors). For a block, the scores against the keys it may
 * see (0 .. last query of the block) are computed with the matmul micro-kernel <em>transposed</em> — one row per
 * key, one lane per query — so that the softmax over keys runs down the rows: every lane keeps its own running
 * max and sum, in key order, with no horizontal vector reduction, and the upper triangle is never computed beyond
 * the block on the diagonal. For long sequences the probabilities are not stored: the forward pass keeps each
 * row's max and 1/sum (B,NH,T), and the backward pass recomputes the scores with the same kernel on the same packed operands, so it
 * sees bit for bit the probabilities of the forward pass. This keeps activation memory at O(T) per head instead
 * of O(T²). When the probabilities of all layers fit a memory budget (short sequences: the budget is a quarter of
 * the model's other activations) and there is no soft-cap, the forward pass keeps them instead — the blocks on and
 * below the diagonal, exactly as the softmax left them — and the backward pass reads them rather than recomputing:
 * the same bits, less work.
 *
 * <p>{@link AttentionReference} is the same computation in plain loops, the one to read first; a test holds the two
 * together.
 */
public final class Attention {

    private static final VectorSpecies<Float> S = Simd.FLOAT;
    private static final int L = S.length();
    private static final int MR = Matmul.MR, NR = Matmul.NR;
    /** Queries per block: the width of one micro-kernel tile. */
    static final int QB = NR;

    private final int batch, seq, dim, heads, hs;
    private final boolean qkNorm, rope;
    private final float softCap, eps, scale;
    /** RoPE tables (T, hs/2): cos and sin of t·θ^(−2i/hs). */
    private final float[] cos, sin;
    /**
     * The block on the diagonal: keep[dj·QB + ii] = 1 if query ii may see key dj of the block, else 0; bias 0 or
     * −∞. Row QB is for keys before the block: all 1 (keep), all 0 (bias).
     */
    private final float[] keep, bias;
    private final int tp8, hsPad;
    /**
     * The forward pass's probabilities, kept for the backward pass (empty when they are recomputed): per layer, per
     * (batch, head), the query blocks one after another, block ib as (kv rounded up to MR, QB) at
     * {@link #blockOff}[ib].
     */
    private final float[] probs;
    private final int[] blockOff;
    private final int perHead;

    /** Per-thread scratch for one head: packed operands and tiles. */
    private final ThreadLocal<Scratch> scratch;

    private final class Scratch {
        final float[] qh = new float[seq * hs], kh = new float[seq * hs];
        final float[] kpA = new float[tp8 * hs], vpN = new float[hsPad * seq], qpT = new float[QB * hs];
        final float[] sT = new float[tp8 * QB], yTile = new float[QB * hsPad];
        final float[] lanes = new float[4 * QB];
        /** Where the head's q and k rows are: qh/kh (transformed), or qkv itself when there is nothing to apply. */
        float[] q, k;
        int qOff, kOff, ld;
        // backward only
        float[] vpA, kpN, dyT, dpT, fT, aT, dyN, qN, dqTile, dvBuf, dkBuf;

        void backwardBuffers() {
            if (vpA != null) return;
            vpA = new float[tp8 * hs];
            kpN = new float[hsPad * seq];
            dyT = new float[QB * hs];
            dpT = new float[tp8 * QB];
            fT = new float[softCap > 0 ? tp8 * QB : 0];
            aT = new float[tp8 * QB];
            dyN = new float[hsPad * QB];
            qN = new float[hsPad * QB];
            dqTile = new float[QB * hsPad];
            dvBuf = new float[tp8 * hsPad];
            dkBuf = new float[tp8 * hsPad];
        }
    }

    /** Attention for one (batch, seq) shape that recomputes the probabilities in the backward pass. */
    public Attention(ModelConfig cfg, int batch, int seq) {
        this(cfg, batch, seq, 0);
    }

    /**
     * Attention for one (batch, seq) shape and {@code layers} layers, keeping the probabilities of every layer for
     * the backward pass when {@link #keepsProbabilities} says so for this budget (in floats).
     */
    public Attention(ModelConfig cfg, int batch, int seq, int layers, long budget) {
        this(cfg, batch, seq, keepsProbabilities(cfg, batch, seq, layers, budget) ? layers : 0);
    }

    /** Floats of kept probabilities per layer for a shape: the blocks on and below the diagonal of every head. */
    public static long probabilityFloats(ModelConfig cfg, int batch, int seq) {
        long perHead = 0;
        for (int i0 = 0; i0 < seq; i0 += QB) perHead += (long) keyRows(seq, i0) * QB;
        return (long) batch * cfg.heads() * perHead;
    }

    /** Whether the probabilities of all layers are kept: no soft-cap, and they fit the budget (floats). */
    public static boolean keepsProbabilities(ModelConfig cfg, int batch, int seq, int layers, long budget) {
        long floats = layers * probabilityFloats(cfg, batch, seq);
        return cfg.attnSoftCap() <= 0 && layers > 0 && floats <= budget && floats <= Integer.MAX_VALUE - 16;
    }

    private Attention(ModelConfig cfg, int batch, int seq, int keptLayers) {
        this.batch = batch;
        this.seq = seq;
        this.dim = cfg.dim();
        this.heads = cfg.heads();
        this.hs = cfg.headSize();
        this.qkNorm = cfg.qkNorm();
        this.rope = cfg.position() == ModelConfig.Position.ROPE;
        this.softCap = cfg.attnSoftCap();
        this.eps = cfg.normEps();
        this.scale = (float) (1.0 / Math.sqrt(hs));
        this.tp8 = (seq + MR - 1) / MR * MR;
        this.hsPad = (hs + NR - 1) / NR * NR;
        int half = hs / 2;
        this.cos = new float[seq * half];
        this.sin = new float[seq * half];
        if (rope) {
            for (int t = 0; t < seq; t++) {
                for (int i = 0; i < half; i++) {
                    double invFreq = Math.pow(cfg.ropeTheta(), -2.0 * i / hs);
                    double angle = t * invFreq;
                    cos[t * half + i] = (float) Math.cos(angle);
                    sin[t * half + i] = (float) Math.sin(angle);
                }
            }
        }
        this.keep = new float[(QB + 1) * QB];
        this.bias = new float[(QB + 1) * QB];
        for (int dj = 0; dj <= QB; dj++) {
            for (int ii = 0; ii < QB; ii++) {
                boolean visible = dj == QB || ii >= dj;
                keep[dj * QB + ii] = visible ? 1f : 0f;
                bias[dj * QB + ii] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        this.scratch = ThreadLocal.withInitial(Scratch::new);
        int blocks = (seq + QB - 1) / QB, off = 0;
        this.blockOff = new int[blocks];
        for (int ib = 0; ib < blocks; ib++) {
            blockOff[ib] = off;
            off += keyRows(seq, ib * QB) * QB;
        }
        this.perHead = off;
        this.probs = new float[keptLayers == 0 ? 0 : Math.toIntExact(keptLayers * probabilityFloats(cfg, batch, seq))];
    }

    /** Rows of a query block's scores: its keys 0 .. min(T, i0 + QB), rounded up to whole micro-kernel tiles. */
    private static int keyRows(int seq, int i0) {
        return (Math.min(seq, i0 + QB) + MR - 1) / MR * MR;
    }

    /**
     * First query of the micro-kernel tile that covers the block's queries from mp0: mp0 itself, or, when MR does not
     * divide QB (5-row kernels), the last tile moved back to end at QB. Its first rows are then computed twice,
     * both times by the same chain of FMAs, so with the same bits.
     */
    private static int queryTile(int mp0) {
        return Math.min(mp0, QB - MR);
    }

    /** Whether this attention keeps the forward pass's probabilities for the backward pass. */
    public boolean keepsProbabilities() {
        return probs.length > 0;
    }

    /**
     * One layer's attention activations. In: qkv (B,T,3C). Out: y (B,T,C); per (batch, head, query), at
     * {@code statOff + (b·NH + h)·T + t}, the QK-norm 1/rms of q and k (qRstd, kRstd; QK-norm only, else empty) and
     * the softmax's largest logit and 1/Σexp (rowMax, rowInv), for the backward pass; per (batch, head), at
     * {@code maxOff + b·NH + h}, the largest attention logit (maxLogit), a stability signal.
     */
    public record Layer(Slice qkv, Slice y, float[] qRstd, float[] kRstd, float[] rowMax, float[] rowInv,
                        int statOff, float[] maxLogit, int maxOff) {}

    /**
     * The gradients of one backward pass: dy (B,T,C) in, dqkv (B,T,3C) out (overwritten); dq, dk (B,NH,T,hs) are
     * scratch (the QK-norm gain gradients are reduced from them).
     */
    public record Gradients(Slice dy, Slice dqkv, float[] dq, float[] dk) {}

    /**
     * Forward pass of layer {@code layer}: its probabilities are kept for the backward pass when this attention
     * keeps them (layer −1: never). gqOff, gkOff: offsets of the QK-norm gains (hs) in params.
     */
    public void forward(Parallel pool, int layer, Layer act, float[] params, int gqOff, int gkOff) {
        final float[] qkv = act.qkv().data(), y = act.y().data(), qRstd = act.qRstd(), kRstd = act.kRstd();
        final float[] rowMax = act.rowMax(), rowInv = act.rowInv(), maxLogit = act.maxLogit();
        final int qkvOff = act.qkv().off(), yOff = act.y().off(), statOff = act.statOff();
        final int maxOff = act.maxOff();
        final int T = seq, C = dim, NH = heads;
        final boolean keep = layer >= 0 && probs.length > 0;
        pool.parallelFor(batch * NH, (start, end) -> {
            Scratch w = scratch.get();
            for (int bh = start; bh < end; bh++) {
                int b = bh / NH, h = bh % NH;
                int base = qkvOff + b * T * 3 * C + h * hs;
                loadHead(w, qkv, base, qRstd, kRstd, statOff + bh * T, params, gqOff, gkOff, true);
                Matmul.packA(w.kpA, w.k, w.kOff, w.ld, 1, 0, T, 0, hs);
                packRows(w.vpN, qkv, base + 2 * C, 3 * C, 0, T);
                float maxAll = Float.NEGATIVE_INFINITY;
                for (int i0 = 0; i0 < T; i0 += QB) {
                    int bw = Math.min(QB, T - i0), kv = Math.min(T, i0 + QB);
                    // the block's scores, then probabilities: in the kept store, or in scratch
                    float[] p = keep ? probs : w.sT;
                    int po = keep ? probOffset(layer, bh, i0) : 0;
                    scores(w, i0, bw, kv, p, po);
                    maxAll = Math.max(maxAll, softmax(p, po, i0, bw, kv, rowMax, rowInv, statOff + bh * T + i0,
                            w.lanes));
                    // y = p · v for the block's queries: A = p, one key per row (stride QB)
                    for (int mp0 = 0; mp0 < bw; mp0 += MR) {
                        int mp = queryTile(mp0);
                        for (int q = 0; q < hsPad; q += NR) {
                            Matmul.kernelSet(p, po + mp, QB, w.vpN, q * T, kv, w.yTile, mp * hsPad + q, hsPad);
                        }
                    }
                    int dst = yOff + (b * T + i0) * C + h * hs;
                    for (int ii = 0; ii < bw; ii++) System.arraycopy(w.yTile, ii * hsPad, y, dst + ii * C, hs);
                }
                maxLogit[maxOff + bh] = maxAll;
            }
        });
    }

    /**
     * Backward pass of layer {@code layer}, from the activations its forward pass left in act: grad's dqkv from its
     * dy, and the QK-norm gain gradients accumulated in grads. Reads the probabilities the forward pass kept when this
     * attention keeps them (layer −1: recomputes them).
     */
    public void backward(Parallel pool, int layer, Layer act, Gradients grad, float[] params, float[] grads, int gqOff,
                         int gkOff) {
        final float[] qkv = act.qkv().data(), qRstd = act.qRstd(), kRstd = act.kRstd();
        final float[] rowMax = act.rowMax(), rowInv = act.rowInv();
        final int qkvOff = act.qkv().off(), statOff = act.statOff();
        final float[] dqkv = grad.dqkv().data(), dy = grad.dy().data(), dq = grad.dq(), dk = grad.dk();
        final int dqkvOff = grad.dqkv().off(), dyOff = grad.dy().off();
        final int T = seq, C = dim, NH = heads;
        final boolean kept = layer >= 0 && probs.length > 0;
        pool.parallelFor(batch * NH, (start, end) -> {
            Scratch w = scratch.get();
            w.backwardBuffers();
            for (int bh = start; bh < end; bh++) {
                int b = bh / NH, h = bh % NH;
                int base = qkvOff + b * T * 3 * C + h * hs;
                int dyHead = dyOff + b * T * C + h * hs;
                loadHead(w, qkv, base, qRstd, kRstd, statOff + bh * T, params, gqOff, gkOff, false);
                Matmul.packA(w.kpA, w.k, w.kOff, w.ld, 1, 0, T, 0, hs);
                Matmul.packA(w.vpA, qkv, base + 2 * C, 3 * C, 1, 0, T, 0, hs);
                packRows(w.kpN, w.k, w.kOff, w.ld, 0, T);
                Arrays.fill(w.dvBuf, 0f);
                Arrays.fill(w.dkBuf, 0f);
                for (int i0 = 0; i0 < T; i0 += QB) {
                    int bw = Math.min(QB, T - i0), kv = Math.min(T, i0 + QB);
                    float[] p = w.sT;
                    int po = 0;
                    if (kept) {
                        p = probs;
                        po = probOffset(layer, bh, i0);
                    } else {
                        scores(w, i0, bw, kv, p, po);
                        probabilities(w, i0, bw, kv, rowMax, rowInv, statOff + bh * T + i0);
                    }
                    // dp^T = v · dy^T for the block: one key per row, one query per lane
                    for (int d = 0; d < hs; d++) {
                        for (int ii = 0; ii < QB; ii++) w.dyT[d * QB + ii] = ii < bw ? dy[dyHead + (i0 + ii) * C + d] : 0f;
                    }
                    for (int j0 = 0; j0 < kv; j0 += MR) {
                        Matmul.kernelSet(w.vpA, j0 * hs, MR, w.dyT, 0, hs, w.dpT, j0 * QB, QB);
                    }
                    scoreGradients(w, p, po, kv);
                    // dq = ds · k for the block's queries
                    for (int mp0 = 0; mp0 < bw; mp0 += MR) {
                        int mp = queryTile(mp0);
                        for (int q = 0; q < hsPad; q += NR) {
                            Matmul.kernelSet(w.dpT, mp, QB, w.kpN, q * T, kv, w.dqTile, mp * hsPad + q, hsPad);
                        }
                    }
                    for (int ii = 0; ii < bw; ii++) {
                        System.arraycopy(w.dqTile, ii * hsPad, dq, (bh * T + i0 + ii) * hs, hs);
                    }
                    // dv += p^T · dy and dk += ds^T · q over the block's queries
                    packRows(w.dyN, dy, dyHead + i0 * C, C, 0, bw);
                    packRows(w.qN, w.q, w.qOff + i0 * w.ld, w.ld, 0, bw);
                    Matmul.packA(w.aT, p, po, QB, 1, 0, kv, 0, bw);
                    for (int j0 = 0; j0 < kv; j0 += MR) {
                        for (int q = 0; q < hsPad; q += NR) {
                            Matmul.kernelAdd(w.aT, j0 * bw, MR, w.dyN, q * bw, bw, w.dvBuf, j0 * hsPad + q, hsPad);
                        }
                    }
                    Matmul.packA(w.aT, w.dpT, 0, QB, 1, 0, kv, 0, bw);
                    for (int j0 = 0; j0 < kv; j0 += MR) {
                        for (int q = 0; q < hsPad; q += NR) {
                            Matmul.kernelAdd(w.aT, j0 * bw, MR, w.qN, q * bw, bw, w.dkBuf, j0 * hsPad + q, hsPad);
                        }
                    }
                }
                for (int t = 0; t < T; t++) {
                    System.arraycopy(w.dkBuf, t * hsPad, dk, (bh * T + t) * hs, hs);
                }
                // undo RoPE and QK-norm, and scatter back into dqkv (B,T,3C)
                for (int t = 0; t < T; t++) {
                    int dst = dqkvOff + (b * T + t) * 3 * C + h * hs, src = (bh * T + t) * hs;
                    int x = base + t * 3 * C;
                    if (rope) {
                        rotate(dq, src, t, -1f);
                        rotate(dk, src, t, -1f);
                    }
                    if (qkNorm) {
                        int stat = statOff + bh * T + t;
                        rmsRowBackward(dqkv, dst, dq, src, qkv, x, qRstd[stat], params, gqOff);
                        rmsRowBackward(dqkv, dst + C, dk, src, qkv, x + C, kRstd[stat], params, gkOff);
                    } else {
                        System.arraycopy(dq, src, dqkv, dst, hs);
                        System.arraycopy(dk, src, dqkv, dst + C, hs);
                    }
                    System.arraycopy(w.dvBuf, t * hsPad, dqkv, dst + 2 * C, hs);
                }
            }
        });
        if (qkNorm) {
            // gain gradients: reduce over all (b, t, h) rows in a fixed order on one thread per gain
            pool.parallelFor(2, (start, end) -> {
                for (int which = start; which < end; which++) {
                    float[] dx = which == 0 ? dq : dk;
                    float[] rstd = which == 0 ? qRstd : kRstd;
                    int g = which == 0 ? gqOff : gkOff, part = which == 0 ? 0 : C;
                    reduceGainGradient(grads, g, dx, qkv, qkvOff, part, rstd, statOff);
                }
            });
        }
    }

    /**
     * Points w.q, w.k at the head's q and k rows: in qkv itself, or, with QK-norm or RoPE, in w.qh, w.kh (T, hs)
     * after applying them (storing 1/rms when {@code store}; the backward pass recomputes the same bits).
     */
    private void loadHead(Scratch w, float[] qkv, int base, float[] qRstd, float[] kRstd, int stat, float[] params,
                          int gqOff, int gkOff, boolean store) {
        int stride = 3 * dim;
        if (!qkNorm && !rope) {
            w.q = w.k = qkv;
            w.qOff = base;
            w.kOff = base + dim;
            w.ld = stride;
            return;
        }
        w.q = w.qh;
        w.k = w.kh;
        w.qOff = w.kOff = 0;
        w.ld = hs;
        for (int t = 0; t < seq; t++) {
            int src = base + t * stride, dst = t * hs;
            if (qkNorm) {
                float rq = rmsRow(w.qh, dst, qkv, src, params, gqOff);
                float rk = rmsRow(w.kh, dst, qkv, src + dim, params, gkOff);
                if (store) {
                    qRstd[stat + t] = rq;
                    kRstd[stat + t] = rk;
                }
            } else {
                System.arraycopy(qkv, src, w.qh, dst, hs);
                System.arraycopy(qkv, src + dim, w.kh, dst, hs);
            }
            if (rope) {
                rotate(w.qh, dst, t, 1f);
                rotate(w.kh, dst, t, 1f);
            }
        }
    }

    /**
     * Rows [r0, r1) of a row-major (rows, hs) matrix at off with row stride ld, packed as the B operand of the
     * micro-kernel: panel q (columns q..q+NR) at q·(r1−r0), row r at (r−r0)·NR; columns beyond hs are zero.
     */
    private void packRows(float[] dst, float[] src, int off, int ld, int r0, int r1) {
        int depth = r1 - r0;
        for (int q = 0; q < hsPad; q += NR) {
            Matmul.packB(dst, q * depth, src, off, false, ld, r0, depth, q, Math.min(NR, hs - q));
        }
    }

    /** Offset of the kept probabilities of layer {@code layer}, head pair bh, the query block from i0. */
    private int probOffset(int layer, int bh, int i0) {
        return (layer * batch * heads + bh) * perHead + blockOff[i0 / QB];
    }

    /** Scores of the block's queries against keys [0, kv): s[so + j·QB + ii] = k_j · q_{i0+ii} (unscaled). */
    private void scores(Scratch w, int i0, int bw, int kv, float[] s, int so) {
        Matmul.packB(w.qpT, 0, w.q, w.qOff, true, w.ld, 0, hs, i0, bw);
        for (int j0 = 0; j0 < kv; j0 += MR) {
            Matmul.kernelSet(w.kpA, j0 * hs, MR, w.qpT, 0, hs, s, so + j0 * QB, QB);
        }
    }

    // The softmax passes work on one vector column (L queries) at a time, each in a small method with at most one
    // exp or tanh and no branch between vectors: C2 must inline every vector operation of a loop, or it boxes the
    // vectors and allocates in the step. Masking uses tables: row (j − i0) of the block on the diagonal, or the
    // extra row QB (keep 1, bias 0) for keys before the block.

    /** Row of the mask tables for key j of the block starting at query i0. */
    private static int maskRow(int j, int i0) {
        return (j < i0 ? QB : j - i0) * QB;
    }

    /**
     * Causal softmax down the columns of sT (one per query), in place: logits, then probabilities. Stores each
     * query's max and 1/sum and returns the largest logit of the valid queries.
     */
    private float softmax(float[] sT, int so, int i0, int bw, int kv, float[] rowMax, float[] rowInv, int stat,
                          float[] lanes) {
        for (int h = 0; h < QB; h += L) {
            if (softCap > 0) cappedLogits(sT, so + h, h, i0, kv, lanes);
            else logits(sT, so + h, h, i0, kv, lanes);
            exponentials(sT, so + h, h, i0, kv, lanes);
            normalise(sT, so + h, kv, lanes, h);
        }
        float maxAll = Float.NEGATIVE_INFINITY;
        for (int ii = 0; ii < bw; ii++) {
            rowMax[stat + ii] = lanes[ii];
            rowInv[stat + ii] = lanes[QB + ii];
            maxAll = Math.max(maxAll, lanes[ii]);
        }
        return maxAll;
    }

    /** Column h (at sT[c + j·QB]): x = s·scale (masked: −∞) in place; the column max into lanes[h..]. */
    private void logits(float[] sT, int c, int h, int i0, int kv, float[] lanes) {
        var m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < kv; j++) {
            int o = c + j * QB;
            var x = FloatVector.fromArray(S, sT, o).mul(scale).add(FloatVector.fromArray(S, bias, maskRow(j, i0) + h));
            x.intoArray(sT, o);
            m = m.max(x);
        }
        m.intoArray(lanes, h);
    }

    /** {@link #logits} with the soft-cap: x = cap·tanh(s·scale/cap). */
    private void cappedLogits(float[] sT, int c, int h, int i0, int kv, float[] lanes) {
        var m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < kv; j++) {
            int o = c + j * QB;
            var x = FastMath.tanh(FloatVector.fromArray(S, sT, o).mul(scale).div(softCap)).mul(softCap)
                    .add(FloatVector.fromArray(S, bias, maskRow(j, i0) + h));
            x.intoArray(sT, o);
            m = m.max(x);
        }
        m.intoArray(lanes, h);
    }

    /** Column h: e = exp(x − max)·keep in place; 1/Σe into lanes[QB + h..]. */
    private void exponentials(float[] sT, int c, int h, int i0, int kv, float[] lanes) {
        var m = FloatVector.fromArray(S, lanes, h);
        var s = FloatVector.zero(S);
        for (int j = 0; j < kv; j++) {
            int o = c + j * QB;
            var e = FastMath.exp(FloatVector.fromArray(S, sT, o).sub(m))
                    .mul(FloatVector.fromArray(S, keep, maskRow(j, i0) + h));
            e.intoArray(sT, o);
            s = s.add(e);
        }
        FloatVector.broadcast(S, 1f).div(s).intoArray(lanes, QB + h);
    }

    /** Column h: p = e · (1/Σe). */
    private static void normalise(float[] sT, int c, int kv, float[] lanes, int h) {
        var inv = FloatVector.fromArray(S, lanes, QB + h);
        for (int j = 0; j < kv; j++) {
            int o = c + j * QB;
            FloatVector.fromArray(S, sT, o).mul(inv).intoArray(sT, o);
        }
    }

    /**
     * Backward twin of {@link #softmax}: the probabilities from the stored max and 1/sum, bit for bit those of the
     * forward pass, into sT; with a soft-cap, the cap's derivative 1 − tanh² into fT.
     */
    private void probabilities(Scratch w, int i0, int bw, int kv, float[] rowMax, float[] rowInv, int stat) {
        float[] lanes = w.lanes;
        java.util.Arrays.fill(lanes, 0, 2 * QB, 0f);
        for (int ii = 0; ii < bw; ii++) {
            lanes[ii] = rowMax[stat + ii];
            lanes[QB + ii] = rowInv[stat + ii];
        }
        for (int h = 0; h < QB; h += L) {
            if (softCap > 0) cappedLogits(w.sT, w.fT, h, i0, kv);
            else logits(w.sT, h, h, i0, kv, lanes);
            recomputed(w.sT, h, i0, kv, lanes);
        }
    }

    /** {@link #cappedLogits} for the backward pass: also stores the cap's derivative 1 − tanh² into fT. */
    private void cappedLogits(float[] sT, float[] fT, int h, int i0, int kv) {
        for (int j = 0; j < kv; j++) {
            int o = j * QB + h;
            var t = FastMath.tanh(FloatVector.fromArray(S, sT, o).mul(scale).div(softCap));
            t.mul(softCap).add(FloatVector.fromArray(S, bias, maskRow(j, i0) + h)).intoArray(sT, o);
            FloatVector.broadcast(S, 1f).sub(t.mul(t)).intoArray(fT, o);
        }
    }

    /** Column h: p = exp(x − max)·keep·(1/Σe), from the stored statistics in lanes. */
    private void recomputed(float[] sT, int h, int i0, int kv, float[] lanes) {
        var m = FloatVector.fromArray(S, lanes, h);
        var inv = FloatVector.fromArray(S, lanes, QB + h);
        for (int j = 0; j < kv; j++) {
            int o = j * QB + h;
            FastMath.exp(FloatVector.fromArray(S, sT, o).sub(m))
                    .mul(FloatVector.fromArray(S, keep, maskRow(j, i0) + h)).mul(inv).intoArray(sT, o);
        }
    }

    /**
     * ds = p ⊙ (dp − Σ_j p·dp) · (soft-cap derivative) · scale, in place of dp in w.dpT (one query per lane; the
     * sum runs down the keys in order).
     */
    private void scoreGradients(Scratch w, float[] p, int po, int kv) {
        for (int h = 0; h < QB; h += L) {
            rowDots(p, po, w.dpT, h, kv, w.lanes);
            if (softCap > 0) cappedScoreGradients(p, po, w.dpT, w.fT, h, kv, w.lanes);
            else scoreGradients(p, po, w.dpT, h, kv, w.lanes);
        }
    }

    /** Column h: Σ_j p·dp into lanes[h..] (p at po, dp at 0, both with row stride QB). */
    private static void rowDots(float[] p, int po, float[] dp, int h, int kv, float[] lanes) {
        var d = FloatVector.zero(S);
        for (int j = 0; j < kv; j++) {
            int o = j * QB + h;
            d = FloatVector.fromArray(S, p, po + o).fma(FloatVector.fromArray(S, dp, o), d);
        }
        d.intoArray(lanes, h);
    }

    private void scoreGradients(float[] p, int po, float[] dp, int h, int kv, float[] lanes) {
        var d = FloatVector.fromArray(S, lanes, h);
        for (int j = 0; j < kv; j++) {
            int o = j * QB + h;
            FloatVector.fromArray(S, p, po + o).mul(FloatVector.fromArray(S, dp, o).sub(d)).mul(scale)
                    .intoArray(dp, o);
        }
    }

    private void cappedScoreGradients(float[] p, int po, float[] dp, float[] f, int h, int kv, float[] lanes) {
        var d = FloatVector.fromArray(S, lanes, h);
        for (int j = 0; j < kv; j++) {
            int o = j * QB + h;
            FloatVector.fromArray(S, p, po + o).mul(FloatVector.fromArray(S, dp, o).sub(d))
                    .mul(FloatVector.fromArray(S, f, o)).mul(scale).intoArray(dp, o);
        }
    }

    /** rms-normalise one head row of length hs: dst = src / rms(src) · gain; returns 1/rms. */
    private float rmsRow(float[] dst, int dstOff, float[] src, int srcOff, float[] params, int gOff) {
        double ss = 0;
        for (int i = 0; i < hs; i++) ss += (double) src[srcOff + i] * src[srcOff + i];
        float r = (float) (1.0 / Math.sqrt(ss / hs + eps));
        for (int i = 0; i < hs; i++) dst[dstOff + i] = src[srcOff + i] * r * params[gOff + i];
        return r;
    }

    /**
     * Backward of {@link #rmsRow} for the input only: dx = r·(g·dout − x·r²·Σ(dout·g·x)/hs). Keeps dout (the
     * gradient w.r.t. the normalised row) in place, because the gain gradient needs it afterwards.
     */
    private void rmsRowBackward(float[] dx, int dxOff, float[] dout, int doutOff, float[] x, int xOff, float r,
                                float[] params, int gOff) {
        double dot = 0;
        for (int i = 0; i < hs; i++) dot += (double) dout[doutOff + i] * params[gOff + i] * x[xOff + i];
        float kk = (float) (dot / hs) * r * r;
        for (int i = 0; i < hs; i++) dx[dxOff + i] = r * (dout[doutOff + i] * params[gOff + i] - x[xOff + i] * kk);
    }

    /** dgain[i] += Σ over rows of x·r·dout, with dout the head-major gradient w.r.t. the normalised rows. */
    private void reduceGainGradient(float[] grads, int gOff, float[] dout, float[] qkv, int qkvOff, int part,
                                    float[] rstd, int statOff) {
        final int T = seq, C = dim, NH = heads;
        for (int bh = 0; bh < batch * NH; bh++) {
            int b = bh / NH, h = bh % NH;
            for (int t = 0; t < T; t++) {
                int x = qkvOff + (b * T + t) * 3 * C + part + h * hs, d = (bh * T + t) * hs;
                float r = rstd[statOff + bh * T + t];
                for (int i = 0; i < hs; i++) grads[gOff + i] += qkv[x + i] * r * dout[d + i];
            }
        }
    }

    /** Rotates the pairs (i, i+hs/2) of one head row by ±t·θ_i (sign −1 applies the inverse, for the backward). */
    private void rotate(float[] x, int off, int t, float sign) {
        int half = hs / 2;
        for (int i = 0; i < half; i++) {
            float c = cos[t * half + i], s = sign * sin[t * half + i];
            float a = x[off + i], b = x[off + half + i];
            x[off + i] = a * c - b * s;
            x[off + half + i] = b * c + a * s;
        }
    }
}
