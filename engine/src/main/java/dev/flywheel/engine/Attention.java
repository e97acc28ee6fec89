package dev.flywheel.engine;

/**
 * Causal multi-head self-attention between the qkv projection and the output projection, with the optional
 * QK-norm, rotary embeddings and logit soft-cap.
 *
 * <p>Forward: qkv (B,T,3C) → head-major q, k, v (B,NH,T,hs), normalised and rotated → probabilities p (B,NH,T,T)
 * → y (B,T,C). The probabilities are kept for the backward pass. Work is split over the B·NH (batch, head) pairs;
 * each pair is computed by one thread in a fixed order.
 */
public final class Attention {

    private final int batch, seq, dim, heads, hs;
    private final boolean qkNorm, rope;
    private final float softCap, eps, scale;
    /** RoPE tables (T, hs/2): cos and sin of t·θ^(−2i/hs). */
    private final float[] cos, sin;

    /** Per-thread T×T scratch for scores and their gradients. */
    private final ThreadLocal<float[]> scratch;

    public Attention(ModelConfig cfg, int batch, int seq) {
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
        this.scratch = ThreadLocal.withInitial(() -> new float[2 * seq * seq]);
    }

    /**
     * Forward pass.
     * qkv (B,T,3C) at qkvOff; q, k, v (B,NH,T,hs) at headOff; qRstd, kRstd (B,NH,T) at statOff (QK-norm only);
     * gq, gk: the QK-norm gains (hs) in params at gqOff, gkOff; att (B,NH,T,T) at attOff; y (B,T,C) at yOff;
     * maxLogit (B·NH) at maxOff receives the largest attention logit of each (batch, head), a stability signal.
     */
    public void forward(Parallel pool, float[] qkv, int qkvOff, float[] q, float[] k, float[] v, int headOff,
                        float[] qRstd, float[] kRstd, int statOff, float[] params, int gqOff, int gkOff,
                        float[] att, int attOff, float[] y, int yOff, float[] maxLogit, int maxOff) {
        final int T = seq, C = dim, NH = heads;
        pool.parallelFor(batch * NH, (start, end) -> {
            float[] s = scratch.get();
            for (int bh = start; bh < end; bh++) {
                int b = bh / NH, h = bh % NH;
                int head = headOff + bh * T * hs;
                // split qkv into head-major q, k, v; QK-norm; RoPE
                for (int t = 0; t < T; t++) {
                    int src = qkvOff + (b * T + t) * 3 * C + h * hs, dst = head + t * hs;
                    System.arraycopy(qkv, src + 2 * C, v, dst, hs);
                    if (qkNorm) {
                        int stat = statOff + bh * T + t;
                        qRstd[stat] = rmsRow(q, dst, qkv, src, params, gqOff);
                        kRstd[stat] = rmsRow(k, dst, qkv, src + C, params, gkOff);
                    } else {
                        System.arraycopy(qkv, src, q, dst, hs);
                        System.arraycopy(qkv, src + C, k, dst, hs);
                    }
                    if (rope) {
                        rotate(q, dst, t, 1f);
                        rotate(k, dst, t, 1f);
                    }
                }
                // scores s = q k^T · scale, soft-capped, causal softmax → att
                int p = attOff + bh * T * T;
                Matmul.gemmSerial(s, 0, T, q, head, hs, 1, k, head, true, hs, T, T, hs, false);
                float maxAll = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < T; t++) {
                    int row = t * T;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        float x = s[row + u] * scale;
                        if (softCap > 0) x = softCap * FastMath.tanh(x / softCap);
                        s[row + u] = x;
                        max = Math.max(max, x);
                    }
                    float sum = 0;
                    for (int u = 0; u <= t; u++) {
                        float e = FastMath.exp(s[row + u] - max);
                        att[p + row + u] = e;
                        sum += e;
                    }
                    float inv = 1f / sum;
                    for (int u = 0; u <= t; u++) att[p + row + u] *= inv;
                    for (int u = t + 1; u < T; u++) att[p + row + u] = 0f;
                    maxAll = Math.max(maxAll, max);
                }
                maxLogit[maxOff + bh] = maxAll;
                // y_h = att · v, written into the head's columns of y (B,T,C)
                Matmul.gemmSerial(y, yOff + b * T * C + h * hs, C, att, p, T, 1, v, head, false, hs, T, hs, T, false);
            }
        });
    }

    /**
     * Backward pass: from dy (B,T,C) to dqkv (B,T,3C) (overwritten) and the QK-norm gain gradients dgq, dgk in
     * grads. dq, dk, dv (B,NH,T,hs) are scratch buffers of the caller. Uses q, k, v, att of the forward pass.
     */
    public void backward(Parallel pool, float[] dqkv, int dqkvOff, float[] qkv, int qkvOff, float[] q, float[] k,
                         float[] v, int headOff, float[] qRstd, float[] kRstd, int statOff, float[] params, int gqOff,
                         int gkOff, float[] grads, float[] att, int attOff, float[] dy, int dyOff, float[] dq,
                         float[] dk, float[] dv) {
        final int T = seq, C = dim, NH = heads;
        pool.parallelFor(batch * NH, (start, end) -> {
            float[] s = scratch.get();
            int dpOff = T * T;
            for (int bh = start; bh < end; bh++) {
                int b = bh / NH, h = bh % NH;
                int head = bh * T * hs;
                int p = attOff + bh * T * T;
                int dyHead = dyOff + b * T * C + h * hs;
                // dv = att^T · dy ;  dp = dy · v^T
                Matmul.gemmSerial(dv, head, hs, att, p, 1, T, dy, dyHead, false, C, T, hs, T, false);
                Matmul.gemmSerial(s, dpOff, T, dy, dyHead, C, 1, v, headOff + head, true, hs, T, T, hs, false);
                if (softCap > 0) {
                    // recompute the raw scores to get the derivative of the cap: d/dx c·tanh(x/c) = 1 − tanh²
                    Matmul.gemmSerial(s, 0, T, q, headOff + head, hs, 1, k, headOff + head, true, hs, T, T, hs,
                            false);
                }
                // ds = att ⊙ (dp − Σ att·dp), times the soft-cap derivative and the scale
                for (int t = 0; t < T; t++) {
                    int row = t * T;
                    float dot = 0;
                    for (int u = 0; u <= t; u++) dot += att[p + row + u] * s[dpOff + row + u];
                    for (int u = 0; u <= t; u++) {
                        float ds = att[p + row + u] * (s[dpOff + row + u] - dot);
                        if (softCap > 0) {
                            float th = FastMath.tanh(s[row + u] * scale / softCap);
                            ds *= 1f - th * th;
                        }
                        s[dpOff + row + u] = ds * scale;
                    }
                    for (int u = t + 1; u < T; u++) s[dpOff + row + u] = 0f;
                }
                // dq = ds · k ;  dk = ds^T · q
                Matmul.gemmSerial(dq, head, hs, s, dpOff, T, 1, k, headOff + head, false, hs, T, hs, T, false);
                Matmul.gemmSerial(dk, head, hs, s, dpOff, 1, T, q, headOff + head, false, hs, T, hs, T, false);
                // undo RoPE, QK-norm, and scatter back into dqkv (B,T,3C)
                for (int t = 0; t < T; t++) {
                    int dst = dqkvOff + (b * T + t) * 3 * C + h * hs, src = head + t * hs;
                    int x = qkvOff + (b * T + t) * 3 * C + h * hs;
                    if (rope) {
                        rotate(dq, src, t, -1f);
                        rotate(dk, src, t, -1f);
                    }
                    if (qkNorm) {
                        int stat = statOff + bh * T + t;
                        rmsRowBackward(dqkv, dst, dq, src, qkv, x, qRstd[stat], params, gqOff);
                        rmsRowBackward(dqkv, dst + C, dk, src, qkv, x + C, kRstd[stat], params, gkOff);
                    } else {
                        for (int i = 0; i < hs; i++) {
                            dqkv[dst + i] = dq[src + i];
                            dqkv[dst + C + i] = dk[src + i];
                        }
                    }
                    for (int i = 0; i < hs; i++) dqkv[dst + 2 * C + i] = dv[src + i];
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
