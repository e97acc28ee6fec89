package dev.flywheel.engine.ref;

import dev.flywheel.engine.ModelConfig;
import dev.flywheel.engine.ParameterLayout;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GPT of docs/model.md rebuilt from {@link Var} primitives in double precision: slow and obviously correct,
 * with gradients from autograd rather than from hand-derived backward passes.
 */
public final class RefGpt {

    public record Result(Var loss, Var objective, Map<String, Var> params) {}

    private RefGpt() {}

    public static Result run(ModelConfig cfg, float[] flat, int[] inputs, int[] targets, int b, int t) {
        var layout = new ParameterLayout(cfg);
        Map<String, Var> p = new LinkedHashMap<>();
        for (var tensor : layout.tensors()) p.put(tensor.name(), Var.of(flat, tensor.offset(), tensor.shape()));
        return runWith(cfg, p, inputs, targets, b, t);
    }

    /** Builds the graph over existing parameter leaves (named as in the flywheel layout). */
    public static Result runWith(ModelConfig cfg, Map<String, Var> p, int[] inputs, int[] targets, int b, int t) {
        int C = cfg.dim(), N = b * t, V = cfg.vocabSize();
        boolean rms = cfg.norm() == ModelConfig.Norm.RMSNORM;

        int[] idx = new int[N * C];
        for (int i = 0; i < N; i++) for (int c = 0; c < C; c++) idx[i * C + c] = inputs[i] * C + c;
        Var x = p.get("wte").take(idx, N, C);
        if (cfg.position() == ModelConfig.Position.LEARNED) {
            int[] pi = new int[N * C];
            for (int i = 0; i < N; i++) for (int c = 0; c < C; c++) pi[i * C + c] = (i % t) * C + c;
            x = x.add(p.get("wpe").take(pi, N, C));
        }
        for (int l = 0; l < cfg.layers(); l++) {
            String pre = "h." + l + ".";
            Var h = norm(rms, x, p.get(pre + "norm1.weight"), p.get(pre + "norm1.bias"), cfg.normEps());
            Var qkv = linear(h, p.get(pre + "attn.qkv.weight"), p.get(pre + "attn.qkv.bias"));
            Var y = attention(cfg, qkv, p.get(pre + "attn.q_norm.weight"), p.get(pre + "attn.k_norm.weight"), b, t);
            x = x.add(linear(y, p.get(pre + "attn.proj.weight"), p.get(pre + "attn.proj.bias")));
            h = norm(rms, x, p.get(pre + "norm2.weight"), p.get(pre + "norm2.bias"), cfg.normEps());
            Var m = switch (cfg.activation()) {
                case GELU -> gelu(linear(h, p.get(pre + "mlp.fc.weight"), p.get(pre + "mlp.fc.bias")));
                case RELU2 -> linear(h, p.get(pre + "mlp.fc.weight"), p.get(pre + "mlp.fc.bias")).relu().pow(2);
                case SWIGLU -> {
                    Var g = linear(h, p.get(pre + "mlp.gate.weight"), p.get(pre + "mlp.gate.bias"));
                    Var u = linear(h, p.get(pre + "mlp.up.weight"), p.get(pre + "mlp.up.bias"));
                    yield g.mul(g.sigmoid()).mul(u);
                }
            };
            x = x.add(linear(m, p.get(pre + "mlp.proj.weight"), p.get(pre + "mlp.proj.bias")));
        }
        x = norm(rms, x, p.get("norm_f.weight"), p.get("norm_f.bias"), cfg.normEps());
        Var logits = x.bmm(cfg.tiedHead() ? p.get("wte") : p.get("lm_head.weight"), true); // (N, V)
        Var lse = logits.exp().sumLast().log(); // (N, 1)
        int scored = 0;
        for (int target : targets) if (target >= 0) scored++;
        int[] rows = new int[scored], picks = new int[scored];
        for (int i = 0, j = 0; i < N; i++) {
            if (targets[i] >= 0) {
                rows[j] = i;
                picks[j++] = i * V + targets[i];
            }
        }
        Var lseScored = lse.take(rows, scored, 1);
        Var loss = lseScored.sub(logits.take(picks, scored, 1)).mean();
        Var objective = cfg.zLoss() > 0 ? loss.add(lseScored.pow(2).mean().scale(cfg.zLoss())) : loss;
        return new Result(loss, objective, p);
    }

    public static Var linear(Var x, Var w, Var bias) {
        Var y = x.bmm(w, true);
        return bias == null ? y : y.add(bias.broadcastRow(x.shape[0]));
    }

    public static Var norm(boolean rms, Var x, Var w, Var bias, double eps) {
        return rms ? rmsNorm(x, w, eps) : layerNorm(x, w, bias, eps);
    }

    public static Var layerNorm(Var x, Var w, Var bias, double eps) {
        int rows = x.shape[0], c = x.shape[1];
        Var mean = x.sumLast().scale(1.0 / c);
        Var xc = x.sub(mean.broadcastCol(c));
        Var rstd = xc.pow(2).sumLast().scale(1.0 / c).addConst(eps).pow(-0.5);
        Var y = xc.mul(rstd.broadcastCol(c)).mul(w.broadcastRow(rows));
        return bias == null ? y : y.add(bias.broadcastRow(rows));
    }

    public static Var rmsNorm(Var x, Var w, double eps) {
        int rows = x.shape[0], c = x.shape[1];
        Var rstd = x.pow(2).sumLast().scale(1.0 / c).addConst(eps).pow(-0.5);
        return x.mul(rstd.broadcastCol(c)).mul(w.broadcastRow(rows));
    }

    public static Var gelu(Var x) {
        double k = Math.sqrt(2 / Math.PI);
        Var inner = x.add(x.pow(3).scale(0.044715)).scale(k);
        return x.mul(inner.tanh().addConst(1)).scale(0.5);
    }

    /** qkv (B·T, 3C) → y (B·T, C). */
    public static Var attention(ModelConfig cfg, Var qkv, Var gq, Var gk, int b, int t) {
        int C = cfg.dim(), NH = cfg.heads(), hs = cfg.headSize(), G = b * NH;
        Var q = heads(qkv, 0, b, t, C, NH, hs), k = heads(qkv, 1, b, t, C, NH, hs), v = heads(qkv, 2, b, t, C, NH, hs);
        if (cfg.qkNorm()) {
            q = rmsNorm(q.reshape(G * t, hs), gq, cfg.normEps()).reshape(G, t, hs);
            k = rmsNorm(k.reshape(G * t, hs), gk, cfg.normEps()).reshape(G, t, hs);
        }
        if (cfg.position() == ModelConfig.Position.ROPE) {
            q = rope(q, G, t, hs, cfg.ropeTheta());
            k = rope(k, G, t, hs, cfg.ropeTheta());
        }
        Var s = q.bmm(k, true).scale(1.0 / Math.sqrt(hs)); // (G, T, T)
        if (cfg.attnSoftCap() > 0) s = s.scale(1.0 / cfg.attnSoftCap()).tanh().scale(cfg.attnSoftCap());
        double[] mask = new double[G * t * t];
        for (int g = 0; g < G; g++) for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) mask[g * t * t + i * t + j] = -1e9;
        Var e = s.add(new Var(mask, G, t, t)).exp();
        Var p = e.mul(e.reshape(G * t, t).sumLast().pow(-1).broadcastCol(t).reshape(G, t, t));
        Var y = p.bmm(v, false); // (G, T, hs)
        int[] idx = new int[b * t * C];
        for (int bb = 0; bb < b; bb++)
            for (int tt = 0; tt < t; tt++)
                for (int h = 0; h < NH; h++)
                    for (int d = 0; d < hs; d++) idx[(bb * t + tt) * C + h * hs + d] = ((bb * NH + h) * t + tt) * hs + d;
        return y.take(idx, b * t, C);
    }

    private static Var heads(Var qkv, int part, int b, int t, int C, int NH, int hs) {
        int[] idx = new int[b * NH * t * hs];
        for (int bb = 0; bb < b; bb++)
            for (int h = 0; h < NH; h++)
                for (int tt = 0; tt < t; tt++)
                    for (int d = 0; d < hs; d++)
                        idx[((bb * NH + h) * t + tt) * hs + d] = (bb * t + tt) * 3 * C + part * C + h * hs + d;
        return qkv.take(idx, b * NH, t, hs);
    }

    /** Rotate-half RoPE on (G, T, hs). */
    public static Var rope(Var x, int g, int t, int hs, double theta) {
        int half = hs / 2, n = g * t * hs;
        double[] cos = new double[n], sin = new double[n], sign = new double[n];
        int[] perm = new int[n];
        for (int gg = 0; gg < g; gg++)
            for (int tt = 0; tt < t; tt++)
                for (int d = 0; d < hs; d++) {
                    int i = (gg * t + tt) * hs + d, f = d % half;
                    double angle = tt * Math.pow(theta, -2.0 * f / hs);
                    cos[i] = Math.cos(angle);
                    sin[i] = Math.sin(angle);
                    perm[i] = d < half ? i + half : i - half;
                    sign[i] = d < half ? -1 : 1;
                }
        Var rotated = x.take(perm, g, t, hs).mul(new Var(sign, g, t, hs));
        return x.mul(new Var(cos, g, t, hs)).add(rotated.mul(new Var(sin, g, t, hs)));
    }
}
