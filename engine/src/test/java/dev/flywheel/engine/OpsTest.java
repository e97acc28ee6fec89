package dev.flywheel.engine;

import dev.flywheel.engine.ref.RefGpt;
import dev.flywheel.engine.ref.Var;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each float kernel of the engine, forward and backward, against the double-precision autograd reference (whose
 * own gradients are checked against finite differences in {@link ReferenceGradientTest}). The backward passes are
 * driven by a random upstream gradient so every output element matters.
 */
class OpsTest {

    static final Parallel POOL = new Parallel(2);
    static final double TOL = 1e-5;

    @AfterAll
    static void close() {
        POOL.close();
    }

    static double[] upstream(Random r, int n) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) g[i] = r.nextGaussian();
        return g;
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @ParameterizedTest(name = "N={0} C={1} OC={2}")
    @CsvSource({"1,1,1", "7,13,37", "5,3,33", "65,300,70", "64,64,64", "3,600,5"})
    void matmul(int n, int c, int oc) {
        var r = new Random(n * 31 + c * 7 + oc);
        float[] inp = Check.randn(r, n * c, 1), w = Check.randn(r, oc * c, 1), b = Check.randn(r, oc, 1);
        float[] out = new float[n * oc];
        Matmul.forward(POOL, out, 0, inp, 0, w, 0, b, 0, n, c, oc);
        Var x = Var.of(inp, 0, n, c), wv = Var.of(w, 0, oc, c), bv = Var.of(b, 0, oc);
        Var y = RefGpt.linear(x, wv, bv);
        Check.close("forward", out, 0, y.data, TOL);
        double[] g = upstream(r, n * oc);
        y.backward(g);
        float[] dinp = Check.randn(r, n * c, 1); // overwritten
        float[] dw = new float[oc * c], db = new float[oc];
        Matmul.backward(POOL, dinp, 0, dw, 0, db, 0, toFloat(g), 0, inp, 0, w, 0, n, c, oc);
        Check.close("dinp", dinp, 0, x.grad, TOL);
        Check.close("dw", dw, 0, wv.grad, TOL);
        Check.close("db", db, 0, bv.grad, TOL);
    }

    @Test
    void layerNormAndRmsNorm() {
        var r = new Random(1);
        int rows = 9, c = 37;
        float[] x = Check.randn(r, rows * c, 2), w = Check.randn(r, c, 1), b = Check.randn(r, c, 1);
        float[] out = new float[rows * c], mean = new float[rows], rstd = new float[rows];
        double[] g = upstream(r, rows * c);
        // LayerNorm
        Norm.layerNormForward(POOL, out, 0, c, mean, 0, rstd, x, 0, c, w, 0, b, 0, rows, c, 1e-5f);
        Var xv = Var.of(x, 0, rows, c), wv = Var.of(w, 0, c), bv = Var.of(b, 0, c);
        Var y = RefGpt.layerNorm(xv, wv, bv, 1e-5);
        Check.close("layernorm forward", out, 0, y.data, TOL);
        y.backward(g);
        float[] dx = new float[rows * c], dw = new float[c], db = new float[c];
        Norm.layerNormBackward(POOL, dx, 0, c, dw, 0, db, 0, toFloat(g), 0, c, x, 0, c, w, 0, mean, rstd, 0, rows, c);
        Check.close("layernorm dx", dx, 0, xv.grad, TOL);
        Check.close("layernorm dw", dw, 0, wv.grad, TOL);
        Check.close("layernorm db", db, 0, bv.grad, TOL);
        // RMSNorm
        Norm.rmsNormForward(POOL, out, 0, c, rstd, 0, x, 0, c, w, 0, rows, c, 1e-5f);
        xv = Var.of(x, 0, rows, c);
        wv = Var.of(w, 0, c);
        y = RefGpt.rmsNorm(xv, wv, 1e-5);
        Check.close("rmsnorm forward", out, 0, y.data, TOL);
        y.backward(g);
        dx = new float[rows * c];
        dw = new float[c];
        Norm.rmsNormBackward(POOL, dx, 0, c, dw, 0, toFloat(g), 0, c, x, 0, c, w, 0, rstd, 0, rows, c);
        Check.close("rmsnorm dx", dx, 0, xv.grad, TOL);
        Check.close("rmsnorm dw", dw, 0, wv.grad, TOL);
    }

    @Test
    void activations() {
        var r = new Random(2);
        int rows = 6, h = 21, n = rows * h;
        float[] x = Check.randn(r, n, 2), out = new float[n], dx = new float[n];
        double[] g = upstream(r, n);
        Mlp.geluForward(POOL, out, 0, x, 0, n);
        Var xv = Var.of(x, 0, n);
        Var y = RefGpt.gelu(xv);
        Check.close("gelu forward", out, 0, y.data, TOL);
        y.backward(g);
        Mlp.geluBackward(POOL, dx, 0, x, 0, toFloat(g), 0, n);
        Check.close("gelu backward", dx, 0, xv.grad, TOL);

        Mlp.relu2Forward(POOL, out, 0, x, 0, n);
        xv = Var.of(x, 0, n);
        y = xv.relu().pow(2);
        Check.close("relu2 forward", out, 0, y.data, TOL);
        y.backward(g);
        Mlp.relu2Backward(POOL, dx, 0, x, 0, toFloat(g), 0, n);
        Check.close("relu2 backward", dx, 0, xv.grad, TOL);

        float[] gu = Check.randn(r, 2 * n, 2), dgu = new float[2 * n];
        Mlp.swigluForward(POOL, out, 0, gu, 0, rows, h);
        Var guv = Var.of(gu, 0, rows, 2 * h);
        int[] gi = new int[n], ui = new int[n];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < h; j++) {
                gi[i * h + j] = i * 2 * h + j;
                ui[i * h + j] = i * 2 * h + h + j;
            }
        Var gate = guv.take(gi, rows, h), up = guv.take(ui, rows, h);
        y = gate.mul(gate.sigmoid()).mul(up);
        Check.close("swiglu forward", out, 0, y.data, TOL);
        y.backward(g);
        Mlp.swigluBackward(POOL, dgu, 0, gu, 0, toFloat(g), 0, rows, h);
        Check.close("swiglu backward", dgu, 0, guv.grad, TOL);
    }

    @ParameterizedTest(name = "qkNorm={0} rope={1} softCap={2}")
    @CsvSource({"false,false,0", "true,false,0", "false,true,0", "false,false,2.5", "true,true,2.5"})
    void attention(boolean qkNorm, boolean rope, float cap) {
        attention(qkNorm, rope, cap, 2, 7, 2, 16);
    }

    /** Sequences over several query blocks, a partial last block, and heads that are not a whole vector wide. */
    @ParameterizedTest(name = "T={0} heads={1} C={2} qkNorm={3} rope={4} softCap={5}")
    @CsvSource({"70,2,48,false,false,0", "70,2,48,true,true,2.5", "41,1,64,false,false,0", "33,2,128,false,true,0"})
    void attentionOverSeveralBlocks(int t, int nh, int c, boolean qkNorm, boolean rope, float cap) {
        attention(qkNorm, rope, cap, 1, t, nh, c);
    }

    void attention(boolean qkNorm, boolean rope, float cap, int b, int t, int nh, int c) {
        int hs = c / nh;
        var cfg = new ModelConfig(10, t, 1, nh, c, 4 * c, ModelConfig.Norm.LAYERNORM,
                rope ? ModelConfig.Position.ROPE : ModelConfig.Position.LEARNED, ModelConfig.Activation.GELU, true,
                true, qkNorm, 0, cap, 50f, 1e-5f);
        var r = new Random(3);
        float[] qkv = Check.randn(r, b * t * 3 * c, 1);
        float[] params = Check.randn(r, 2 * hs, 0.3);
        for (int i = 0; i < params.length; i++) params[i] += 1;
        int bt = b * t;
        float[] qr = new float[bt * nh], kr = new float[bt * nh], y = new float[bt * c];
        float[] rowMax = new float[bt * nh], rowInv = new float[bt * nh], maxLogit = new float[b * nh];
        var attn = new Attention(cfg, b, t);
        var act = new Attention.Layer(new Slice(qkv, 0), new Slice(y, 0), qr, kr, rowMax, rowInv, 0, maxLogit, 0);
        attn.forward(POOL, -1, act, params, 0, hs);

        Var qkvv = Var.of(qkv, 0, bt, 3 * c), gq = Var.of(params, 0, hs), gk = Var.of(params, hs, hs);
        Var yv = RefGpt.attention(cfg, qkvv, gq, gk, b, t);
        Check.close("attention forward", y, 0, yv.data, TOL);
        double[] g = upstream(r, bt * c);
        yv.backward(g);
        float[] dqkv = new float[bt * 3 * c], grads = new float[2 * hs];
        var grad = new Attention.Gradients(new Slice(toFloat(g), 0), new Slice(dqkv, 0), new float[bt * c],
                new float[bt * c]);
        attn.backward(POOL, -1, act, grad, params, grads, 0, hs);
        Check.close("attention dqkv", dqkv, 0, qkvv.grad, TOL);
        if (qkNorm) {
            Check.close("attention dgq", grads, 0, gq.grad, TOL);
            Check.close("attention dgk", grads, hs, gk.grad, TOL);
        }
        // keeping the probabilities of the forward pass (as layer 1 of 2) instead of recomputing them: same bits
        var kept = new Attention(cfg, b, t, 2, Long.MAX_VALUE);
        assertThat(kept.keepsProbabilities()).as("kept unless soft-capped").isEqualTo(cap <= 0);
        float[] y2 = new float[bt * c], rowMax2 = new float[bt * nh], rowInv2 = new float[bt * nh];
        float[] qr2 = new float[bt * nh], kr2 = new float[bt * nh];
        var act2 = new Attention.Layer(new Slice(qkv, 0), new Slice(y2, 0), qr2, kr2, rowMax2, rowInv2, 0,
                new float[b * nh], 0);
        kept.forward(POOL, 1, act2, params, 0, hs);
        assertThat(y2).as("forward, probabilities kept").containsExactly(y);
        float[] dqkv2 = new float[bt * 3 * c], grads2 = new float[2 * hs];
        var grad2 = new Attention.Gradients(new Slice(toFloat(g), 0), new Slice(dqkv2, 0), new float[bt * c],
                new float[bt * c]);
        kept.backward(POOL, 1, act2, grad2, params, grads2, 0, hs);
        assertThat(dqkv2).as("backward from the kept probabilities").containsExactly(dqkv);
        assertThat(grads2).as("gain gradients from the kept probabilities").containsExactly(grads);
    }

    @ParameterizedTest(name = "zLoss={0}")
    @CsvSource({"0", "0.1"})
    void crossEntropy(float z) {
        var r = new Random(4);
        int n = 9, v = 37;
        float[] logits = Check.randn(r, n * v, 3);
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) targets[i] = i == 4 ? -1 : r.nextInt(v);
        float[] losses = new float[n], lse = new float[n];
        CrossEntropy.forward(POOL, losses, lse, logits, 0, targets, n, v);
        Var lv = Var.of(logits, 0, n, v);
        Var l = lv.exp().sumLast().log();
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = targets[i] < 0 ? 0 : l.data[i] - lv.data[i * v + targets[i]];
        Check.close("per-position loss", losses, 0, expected, TOL);
        int[] rows = {0, 1, 2, 3, 5, 6, 7, 8}, picks = new int[8];
        for (int i = 0; i < 8; i++) picks[i] = rows[i] * v + targets[rows[i]];
        Var ls = l.take(rows, 8, 1);
        Var obj = ls.sub(lv.take(picks, 8, 1)).mean().add(ls.pow(2).mean().scale(z));
        obj.backward();
        CrossEntropy.backward(POOL, logits, 0, lse, targets, n, v, z, 8);
        Check.close("dlogits", logits, 0, lv.grad, TOL);
    }

    @Test
    void embedding() {
        var r = new Random(5);
        int b = 2, t = 4, c = 6, vocab = 5;
        float[] params = Check.randn(r, vocab * c + t * c, 1);
        int[] tokens = {1, 3, 1, 0, 4, 4, 2, 1};
        float[] out = new float[b * t * c];
        Embedding.forward(POOL, out, tokens, params, 0, vocab * c, b, t, c);
        Var wte = Var.of(params, 0, vocab, c), wpe = Var.of(params, vocab * c, t, c);
        int[] ti = new int[b * t * c], pi = new int[b * t * c];
        for (int i = 0; i < b * t; i++)
            for (int j = 0; j < c; j++) {
                ti[i * c + j] = tokens[i] * c + j;
                pi[i * c + j] = (i % t) * c + j;
            }
        Var y = wte.take(ti, b * t, c).add(wpe.take(pi, b * t, c));
        Check.close("embedding forward", out, 0, y.data, TOL);
        double[] g = upstream(r, b * t * c);
        y.backward(g);
        float[] grads = new float[params.length];
        Embedding.backward(POOL, grads, toFloat(g), tokens, 0, vocab * c, b, t, c);
        Check.close("dwte", grads, 0, wte.grad, TOL);
        Check.close("dwpe", grads, vocab * c, wpe.grad, TOL);
    }

    @Test
    void fastMathIsAccurate() {
        double worstExp = 0, worstTanh = 0;
        for (float x = -80f; x <= 80f; x += 0.0137f) {
            worstExp = Math.max(worstExp, Math.abs(FastMath.exp(x) - Math.exp(x)) / Math.exp(x));
        }
        for (float x = -12f; x <= 12f; x += 0.00131f) {
            worstTanh = Math.max(worstTanh, Math.abs(FastMath.tanh(x) - Math.tanh(x)));
        }
        org.assertj.core.api.Assertions.assertThat(worstExp).as("exp max relative error").isLessThan(5e-7);
        org.assertj.core.api.Assertions.assertThat(worstTanh).as("tanh max absolute error").isLessThan(3e-7);
    }
}
