package dev.flywheel.engine;

/**
 * Causal self-attention written the plain way, as llm.c's attention_forward and attention_backward: one loop nest
 * per step, every head's whole (T, T) probability matrix kept. It is the readable reference for {@link Attention},
 * whose blocked kernels compute the same thing in O(T) memory per head and many times faster, and
 * AttentionReferenceTest holds the two together on every variant. Training never runs it.
 */
public final class AttentionReference {

    private final int batch, seq, dim, heads, hs;
    private final boolean qkNorm, rope;
    private final float softCap, eps, scale;
    private final double ropeTheta;
    // kept by the forward pass for the backward pass
    private final float[] q, k;           // (B,NH,T,hs) after QK-norm and RoPE
    private final float[] qRstd, kRstd;   // (B,NH,T) 1/rms of the raw q and k rows (QK-norm only)
    private final float[] att;            // (B,NH,T,T) probabilities, 0 above the diagonal
    private final float[] capSlope;       // (B,NH,T,T) the soft-cap's derivative 1 − tanh² (soft-cap only)

    public AttentionReference(ModelConfig cfg, int batch, int seq) {
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
        this.ropeTheta = cfg.ropeTheta();
        int rows = batch * heads * seq;
        q = new float[rows * hs];
        k = new float[rows * hs];
        qRstd = new float[rows];
        kRstd = new float[rows];
        att = new float[rows * seq];
        capSlope = new float[softCap > 0 ? rows * seq : 0];
    }

    /**
     * qkv (B,T,3C) → y (B,T,C), and maxLogit (B·NH): the largest logit of each (batch, head). gqOff, gkOff: the
     * QK-norm gains (hs) in params.
     */
    public void forward(float[] qkv, float[] params, int gqOff, int gkOff, float[] y, float[] maxLogit) {
        final int T = seq, C = dim, NH = heads;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < NH; h++) {
                int bh = b * NH + h;
                for (int t = 0; t < T; t++) {
                    int src = (b * T + t) * 3 * C + h * hs, row = bh * T + t;
                    qRstd[row] = project(q, row * hs, qkv, src, params, gqOff, t);
                    kRstd[row] = project(k, row * hs, qkv, src + C, params, gkOff, t);
                }
                float maxAll = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < T; i++) {
                    int p = (bh * T + i) * T, qi = (bh * T + i) * hs;
                    // logits s_ij = q_i · k_j / √hs, soft-capped, for the keys j ≤ i the query may see
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        int kj = (bh * T + j) * hs;
                        float s = 0;
                        for (int d = 0; d < hs; d++) s += q[qi + d] * k[kj + d];
                        s *= scale;
                        if (softCap > 0) {
                            float th = (float) Math.tanh(s / softCap);
                            capSlope[p + j] = 1 - th * th;
                            s = softCap * th;
                        }
                        att[p + j] = s;
                        max = Math.max(max, s);
                    }
                    maxAll = Math.max(maxAll, max);
                    // softmax over j ≤ i; the masked keys get probability 0
                    float sum = 0;
                    for (int j = 0; j <= i; j++) {
                        att[p + j] = (float) Math.exp(att[p + j] - max);
                        sum += att[p + j];
                    }
                    float inv = 1f / sum;
                    for (int j = 0; j <= i; j++) att[p + j] *= inv;
                    for (int j = i + 1; j < T; j++) att[p + j] = 0f;
                    // y_i = Σ_j p_ij v_j
                    int out = (b * T + i) * C + h * hs;
                    for (int d = 0; d < hs; d++) {
                        float acc = 0;
                        for (int j = 0; j <= i; j++) acc += att[p + j] * qkv[(b * T + j) * 3 * C + 2 * C + h * hs + d];
                        y[out + d] = acc;
                    }
                }
                maxLogit[bh] = maxAll;
            }
        }
    }

    /**
     * Backward of the last {@link #forward} on the same qkv and params: dy (B,T,C) → dqkv (B,T,3C) (overwritten);
     * the QK-norm gain gradients are added to grads at gqOff, gkOff.
     */
    public void backward(float[] dy, float[] qkv, float[] params, int gqOff, int gkOff, float[] dqkv, float[] grads) {
        final int T = seq, C = dim, NH = heads;
        float[] dq = new float[T * hs], dk = new float[T * hs], dv = new float[T * hs], dp = new float[T];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < NH; h++) {
                int bh = b * NH + h;
                java.util.Arrays.fill(dq, 0f);
                java.util.Arrays.fill(dk, 0f);
                java.util.Arrays.fill(dv, 0f);
                for (int i = 0; i < T; i++) {
                    int p = (bh * T + i) * T, dyi = (b * T + i) * C + h * hs;
                    // dp_ij = dy_i · v_j and dv_j += p_ij dy_i
                    for (int j = 0; j <= i; j++) {
                        int vj = (b * T + j) * 3 * C + 2 * C + h * hs;
                        float acc = 0;
                        for (int d = 0; d < hs; d++) {
                            acc += dy[dyi + d] * qkv[vj + d];
                            dv[j * hs + d] += att[p + j] * dy[dyi + d];
                        }
                        dp[j] = acc;
                    }
                    // softmax backward: ds_ij = p_ij (dp_ij − Σ_j' p_ij' dp_ij'), then through the soft-cap and scale
                    float dot = 0;
                    for (int j = 0; j <= i; j++) dot += att[p + j] * dp[j];
                    for (int j = 0; j <= i; j++) {
                        float ds = att[p + j] * (dp[j] - dot);
                        if (softCap > 0) ds *= capSlope[p + j];
                        ds *= scale;
                        // s_ij = q_i · k_j: dq_i += ds k_j, dk_j += ds q_i
                        int qi = (bh * T + i) * hs, kj = (bh * T + j) * hs;
                        for (int d = 0; d < hs; d++) {
                            dq[i * hs + d] += ds * k[kj + d];
                            dk[j * hs + d] += ds * q[qi + d];
                        }
                    }
                }
                // back through RoPE and QK-norm into dqkv's q, k and v columns of head h
                for (int t = 0; t < T; t++) {
                    int x = (b * T + t) * 3 * C + h * hs, row = bh * T + t;
                    projectBackward(dqkv, x, dq, t * hs, qkv, x, qRstd[row], params, gqOff, grads, t);
                    projectBackward(dqkv, x + C, dk, t * hs, qkv, x + C, kRstd[row], params, gkOff, grads, t);
                    System.arraycopy(dv, t * hs, dqkv, x + 2 * C, hs);
                }
            }
        }
    }

    /**
     * One head row of q or k at position t: the raw row from src, RMS-normalised times the gain (QK-norm), then
     * rotated (RoPE), into dst. Returns 1/rms (QK-norm), else 0.
     */
    private float project(float[] dst, int dstOff, float[] src, int srcOff, float[] params, int gOff, int t) {
        float r = 0;
        if (qkNorm) {
            double ss = 0;
            for (int i = 0; i < hs; i++) ss += (double) src[srcOff + i] * src[srcOff + i];
            r = (float) (1.0 / Math.sqrt(ss / hs + eps));
            for (int i = 0; i < hs; i++) dst[dstOff + i] = src[srcOff + i] * r * params[gOff + i];
        } else {
            System.arraycopy(src, srcOff, dst, dstOff, hs);
        }
        if (rope) rotate(dst, dstOff, t, 1);
        return r;
    }

    /**
     * Backward of {@link #project}: dx (hs) at dxOff from dout (the gradient w.r.t. the projected row, rotated back in
     * place); with QK-norm, dx = r·(g·dn − x·r²·Σ(dn·g·x)/hs) and dgain += x·r·dn.
     */
    private void projectBackward(float[] dx, int dxOff, float[] dout, int doutOff, float[] x, int xOff, float r,
                                 float[] params, int gOff, float[] grads, int t) {
        if (rope) rotate(dout, doutOff, t, -1);
        if (!qkNorm) {
            System.arraycopy(dout, doutOff, dx, dxOff, hs);
            return;
        }
        double dot = 0;
        for (int i = 0; i < hs; i++) dot += (double) dout[doutOff + i] * params[gOff + i] * x[xOff + i];
        float kk = (float) (dot / hs) * r * r;
        for (int i = 0; i < hs; i++) {
            dx[dxOff + i] = r * (dout[doutOff + i] * params[gOff + i] - x[xOff + i] * kk);
            grads[gOff + i] += x[xOff + i] * r * dout[doutOff + i];
        }
    }

    /** Rotates the pairs (i, i + hs/2) of one head row by sign·t·θ^(−2i/hs) (sign −1: the inverse rotation). */
    private void rotate(float[] x, int off, int t, int sign) {
        int half = hs / 2;
        for (int i = 0; i < half; i++) {
            double angle = t * Math.pow(ropeTheta, -2.0 * i / hs);
            float c = (float) Math.cos(angle), s = sign * (float) Math.sin(angle);
            float a = x[off + i], b = x[off + half + i];
            x[off + i] = a * c - b * s;
            x[off + half + i] = b * c + a * s;
        }
    }
}
