package dev.flywheel.engine;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;

/**
 * AdamW, and Muon for the hidden weight matrices when configured. Owns the optimizer state (AdamW moments in the
 * parameter layout, Muon momentum for its matrices) and the step count, so a checkpoint can save and restore them.
 *
 * <p>Also measures what the guard and the dashboard watch: the global and per-tensor gradient norms, and the
 * update-to-weight ratio of each step. Norms are summed over fixed chunks of the flat buffers and then in chunk
 * order, so they are bitwise reproducible whatever the thread count.
 */
public final class Optimizer {

    /** Newton–Schulz quintic coefficients of Muon (Keller Jordan, 2024). */
    private static final float NS_A = 3.4445f, NS_B = -4.7750f, NS_C = 2.0315f;
    private static final int NS_STEPS = 5;
    private static final int CHUNK = 1 << 14;
    private static final VectorSpecies<Float> S = Simd.FLOAT;
    private static final int L = S.length();
    /** Doubles of the same vector width: each float vector converts to L/DL double vectors. */
    private static final VectorSpecies<Double> D = Simd.DOUBLE;
    private static final int DL = D.length();
    private static final ThreadLocal<double[]> DLANES = ThreadLocal.withInitial(() -> new double[DL]);

    private final Gpt model;
    private final OptimizerConfig cfg;
    private final Parallel pool;
    /** AdamW first and second moments, in the parameter layout (unused entries stay zero under Muon). */
    public final float[] m, v;
    /** Muon momentum, one buffer in the parameter layout too (only Muon matrices are used). */
    public final float[] muonMomentum;
    private long step;

    private final List<ParameterLayout.Tensor> tensors;
    private final boolean[] decay, muon;
    /** Chunks of the flat buffer that never cross a tensor boundary: {tensor, start, end}. */
    private final int[][] chunks;
    private final double[] chunkSums;
    private final double[] tensorSquares;
    private final double[] deltaSquares;
    private float[] nsX, nsA, nsB, nsT;

    public Optimizer(Gpt model, OptimizerConfig cfg) {
        this.model = model;
        this.cfg = cfg;
        this.pool = model.pool();
        int n = model.parameterCount();
        this.m = new float[n];
        this.v = new float[n];
        boolean useMuon = cfg.kind() == OptimizerConfig.Kind.MUON;
        this.muonMomentum = new float[useMuon ? n : 0];
        this.tensors = model.layout().tensors();
        this.decay = new boolean[tensors.size()];
        this.muon = new boolean[tensors.size()];
        var chunkList = new ArrayList<int[]>();
        int maxMatrix = 0;
        for (int i = 0; i < tensors.size(); i++) {
            var t = tensors.get(i);
            decay[i] = t.kind() != ParameterLayout.Kind.VECTOR;
            muon[i] = useMuon && t.kind() == ParameterLayout.Kind.MATRIX;
            if (muon[i]) maxMatrix = Math.max(maxMatrix, t.size());
            for (int s = t.offset(); s < t.offset() + t.size(); s += CHUNK) {
                chunkList.add(new int[] {i, s, Math.min(t.offset() + t.size(), s + CHUNK)});
            }
        }
        this.chunks = chunkList.toArray(new int[0][]);
        this.chunkSums = new double[chunks.length];
        this.tensorSquares = new double[tensors.size()];
        this.deltaSquares = new double[chunks.length];
        if (useMuon) {
            int maxSide = 0;
            for (var t : tensors) if (t.kind() == ParameterLayout.Kind.MATRIX) maxSide = Math.max(maxSide, Math.min(t.rows(), t.cols()));
            nsX = new float[maxMatrix];
            nsT = new float[maxMatrix];
            nsB = new float[maxMatrix];
            nsA = new float[maxSide * maxSide];
        }
    }

    public OptimizerConfig config() {
        return cfg;
    }

    /** Optimizer steps taken so far. */
    public long step() {
        return step;
    }

    public void setStep(long step) {
        this.step = step;
    }

    /** Squared L2 norm of each tensor of {@code buf} (in layout order), reproducibly. */
    public double[] tensorSquaredNorms(float[] buf) {
        pool.parallelFor(chunks.length, 4, (s, e) -> {
            double[] lanes = DLANES.get();
            for (int c = s; c < e; c++) chunkSums[c] = squares(buf, chunks[c][1], chunks[c][2], lanes);
        });
        java.util.Arrays.fill(tensorSquares, 0);
        for (int c = 0; c < chunks.length; c++) tensorSquares[chunks[c][0]] += chunkSums[c];
        return tensorSquares.clone();
    }

    /** Global L2 norm of the gradients. */
    public double gradNorm() {
        double s = 0;
        for (double x : tensorSquaredNorms(model.grads)) s += x;
        return Math.sqrt(s);
    }

    /**
     * One update with learning-rate multiplier {@code lrMult} (the schedule times any guard cut). Gradients are
     * first scaled so their global norm is at most the clip. Returns the update-to-weight ratio ‖Δθ‖/‖θ‖.
     */
    public double update(double lrMult, double gradNorm) {
        step++;
        float[] p = model.params, g = model.grads;
        float clipScale = cfg.gradClip() > 0 && gradNorm > cfg.gradClip() ? (float) (cfg.gradClip() / gradNorm) : 1f;
        float lr = (float) (cfg.lr() * lrMult), muonLr = (float) (cfg.muonLr() * lrMult);
        float b1 = cfg.beta1(), b2 = cfg.beta2(), eps = cfg.eps(), wd = cfg.weightDecay();
        float bc1 = (float) (1 - Math.pow(b1, step)), bc2 = (float) (1 - Math.pow(b2, step));
        // as PyTorch's AdamW: p −= (lr/bc1)·m / (√v/√bc2 + eps), with 1/√bc2 as a factor: one division per weight
        float stepSize = (float) (lr / (double) bc1), rsqrtBc2 = (float) (1 / Math.sqrt(bc2));
        // one pass per chunk: the squared norm of the weights before the update, the AdamW update, and the squared
        // norm of the change (Muon matrices are updated below, tensor by tensor)
        pool.parallelFor(chunks.length, 4, (s, e) -> {
            double[] lanes = DLANES.get();
            for (int c = s; c < e; c++) {
                int ti = chunks[c][0];
                if (muon[ti]) {
                    chunkSums[c] = squares(p, chunks[c][1], chunks[c][2], lanes);
                    continue;
                }
                adamw(c, decay[ti] ? 1 - lr * wd : 1f, clipScale, stepSize, b1, b2, eps, rsqrtBc2, lanes);
            }
        });
        double delta = 0, w = 0;
        for (int c = 0; c < chunks.length; c++) {
            w += chunkSums[c];
            if (!muon[chunks[c][0]]) delta += deltaSquares[c];
        }
        for (int ti = 0; ti < tensors.size(); ti++) {
            if (muon[ti]) delta += muonUpdate(tensors.get(ti), muonLr, wd, clipScale);
        }
        return Math.sqrt(delta) / Math.max(Math.sqrt(w), 1e-30);
    }

    /**
     * AdamW on chunk c: moments, decoupled decay (factor {@code keep} = 1 − lr·wd, or 1), and the step
     * stepSize·m / (√v·rsqrtBc2 + eps) with the bias corrections folded into stepSize and rsqrtBc2; chunkSums[c] receives Σ old², deltaSquares[c] Σ (new − old)². Vector body and scalar tail perform the
     * same float operations; the squares are summed in double.
     */
    private void adamw(int c, float keep, float clipScale, float stepSize, float b1, float b2, float eps,
                       float rsqrtBc2, double[] lanes) {
        float[] p = model.params, g = model.grads;
        int i = chunks[c][1], end = chunks[c][2];
        var w2 = DoubleVector.zero(D);
        var d2 = DoubleVector.zero(D);
        float a1 = 1 - b1, a2 = 1 - b2;
        for (; i <= end - L; i += L) {
            var gi = FloatVector.fromArray(S, g, i).mul(clipScale);
            var mi = FloatVector.fromArray(S, m, i).mul(b1).add(gi.mul(a1));
            var vi = FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(a2).mul(gi));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            var old = FloatVector.fromArray(S, p, i);
            var nw = old.mul(keep).sub(mi.mul(stepSize).div(vi.sqrt().mul(rsqrtBc2).add(eps)));
            nw.intoArray(p, i);
            var dw = nw.sub(old);
            for (int part = 0; part < L / DL; part++) {
                var o = (DoubleVector) old.convertShape(VectorOperators.F2D, D, part);
                var d = (DoubleVector) dw.convertShape(VectorOperators.F2D, D, part);
                w2 = o.fma(o, w2);
                d2 = d.fma(d, d2);
            }
        }
        double ws = sum(w2, lanes), ds = sum(d2, lanes);
        for (; i < end; i++) {
            float gi = g[i] * clipScale;
            float mi = m[i] * b1 + gi * a1;
            float vi = v[i] * b2 + gi * a2 * gi;
            m[i] = mi;
            v[i] = vi;
            float old = p[i];
            float nw = old * keep - mi * stepSize / ((float) Math.sqrt(vi) * rsqrtBc2 + eps);
            p[i] = nw;
            double o = old, d = nw - old;
            ws = Math.fma(o, o, ws);
            ds = Math.fma(d, d, ds);
        }
        chunkSums[c] = ws;
        deltaSquares[c] = ds;
    }

    /** Σ buf[i]² over [start, end) in double: vector lanes, then the lanes in order, then the tail. */
    static double squares(float[] buf, int start, int end, double[] lanes) {
        var acc = DoubleVector.zero(D);
        int i = start;
        for (; i <= end - L; i += L) {
            var x = FloatVector.fromArray(S, buf, i);
            for (int part = 0; part < L / DL; part++) {
                var d = (DoubleVector) x.convertShape(VectorOperators.F2D, D, part);
                acc = d.fma(d, acc);
            }
        }
        double s = sum(acc, lanes);
        for (; i < end; i++) s = Math.fma(buf[i], (double) buf[i], s);
        return s;
    }

    private static double sum(DoubleVector v, double[] lanes) {
        v.intoArray(lanes, 0);
        double s = 0;
        for (int j = 0; j < DL; j++) s += lanes[j];
        return s;
    }

    /**
     * Muon on one matrix: Nesterov momentum, orthogonalised by five Newton–Schulz iterations, scaled by
     * √max(1, rows/cols), with decoupled weight decay. Returns the squared norm of the applied update.
     */
    private double muonUpdate(ParameterLayout.Tensor t, float lr, float wd, float clipScale) {
        float[] p = model.params, g = model.grads, buf = muonMomentum;
        int off = t.offset(), rows = t.rows(), cols = t.cols(), n = t.size();
        float mu = cfg.muonMomentum();
        // buf = mu·buf + (1−mu)·g ; X = (1−mu)·g + mu·buf (Nesterov)
        pool.parallelFor(n, (s, e) -> {
            for (int i = s; i < e; i++) {
                float gi = g[off + i] * clipScale;
                float b = mu * buf[off + i] + (1 - mu) * gi;
                buf[off + i] = b;
                nsX[i] = (1 - mu) * gi + mu * b;
            }
        });
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) nsX[i] * nsX[i];
        float inv = (float) (1.0 / (Math.sqrt(ss) + 1e-7));
        // work on the wide orientation (r ≤ c) so the Gram matrix X·Xᵀ is the small one
        boolean transpose = rows > cols;
        int r = transpose ? cols : rows, c = transpose ? rows : cols;
        if (transpose) {
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) nsT[j * rows + i] = nsX[i * cols + j] * inv;
            System.arraycopy(nsT, 0, nsX, 0, n);
        } else {
            for (int i = 0; i < n; i++) nsX[i] *= inv;
        }
        for (int it = 0; it < NS_STEPS; it++) {
            // A = X Xᵀ (r×r); B = b·A + c·A·A (r×r, in nsT); X = a·X + B·X
            Matmul.gemm(pool, nsA, 0, r, nsX, 0, c, 1, nsX, 0, true, c, r, r, c, false);
            Matmul.gemm(pool, nsT, 0, r, nsA, 0, r, 1, nsA, 0, false, r, r, r, r, false);
            for (int i = 0; i < r * r; i++) nsT[i] = NS_B * nsA[i] + NS_C * nsT[i];
            Matmul.gemm(pool, nsB, 0, c, nsT, 0, r, 1, nsX, 0, false, c, r, c, r, false);
            for (int i = 0; i < r * c; i++) nsX[i] = NS_A * nsX[i] + nsB[i];
        }
        float scale = (float) Math.sqrt(Math.max(1.0, (double) rows / cols));
        double d2 = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float o = transpose ? nsX[j * rows + i] : nsX[i * cols + j];
                int idx = off + i * cols + j;
                float old = p[idx];
                float nw = old * (1 - lr * wd) - lr * scale * o;
                p[idx] = nw;
                double d = nw - old;
                d2 += d * d;
            }
        }
        return d2;
    }
}
