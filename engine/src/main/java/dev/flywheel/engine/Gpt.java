package dev.flywheel.engine;

import java.util.Arrays;

/**
 * The GPT decoder: parameters, gradients and activations in flat float buffers, and the forward and backward
 * passes written out layer by layer (see docs/model.md for the math).
 *
 * <p>Activations are allocated for one (batch, seq) shape on first use and reused; the training step allocates
 * nothing. Not thread-safe: one model is driven by one thread, which fans work out through its {@link Parallel}.
 */
public final class Gpt {

    private final ModelConfig cfg;
    private final ParameterLayout layout;
    private final Parallel pool;
    /** All parameters, one buffer; tensors are offsets given by {@link #layout()}. */
    public final float[] params;
    /** Gradients, same layout as {@link #params}. */
    public final float[] grads;

    /** Time per phase of forward and backward passes. */
    public final Profile profile = new Profile();
    private Acts acts;
    private int batch, seq;
    private boolean haveTargets;
    private int scored;

    public Gpt(ModelConfig cfg, Parallel pool) {
        this.cfg = cfg;
        this.layout = new ParameterLayout(cfg);
        this.pool = pool;
        this.params = new float[layout.size()];
        this.grads = new float[layout.size()];
    }

    private Gpt(Gpt shared) {
        this.cfg = shared.cfg;
        this.layout = shared.layout;
        this.pool = shared.pool;
        this.params = shared.params;
        this.grads = new float[0];
    }


    /**
     * A model that shares this one's parameters but has its own activations, for sampling or evaluating at another
     * shape without disturbing the training activations. It cannot be trained.
     */
    public Gpt inferenceView() {
        return new Gpt(this);
    }

    public ModelConfig config() {
        return cfg;
    }

    public ParameterLayout layout() {
        return layout;
    }

    public Parallel pool() {
        return pool;
    }

    public int parameterCount() {
        return layout.size();
    }

    /**
     * GPT-2 initialisation: weights N(0, 0.02), the two residual projections N(0, 0.02/√(2L)), biases 0,
     * norm weights and QK-norm gains 1.
     */
    public void initialize(long seed) {
        var rng = new Rng(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * cfg.layers());
        for (var t : layout.tensors()) {
            boolean residual = t.name().endsWith("attn.proj.weight") || t.name().endsWith("mlp.proj.weight");
            boolean gain = t.kind() == ParameterLayout.Kind.VECTOR && t.name().endsWith(".weight");
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                params[i] = switch (t.kind()) {
                    case VECTOR -> gain ? 1f : 0f;
                    case MATRIX, EMBEDDING -> (float) (rng.nextGaussian() * (residual ? residualStd : 0.02));
                };
            }
        }
    }

    public void zeroGrad() {
        pool.parallelFor(grads.length, 1 << 16, (s, e) -> Arrays.fill(grads, s, e, 0f));
    }

    /**
     * Forward pass over inputs (B,T). With targets (B,T; −1 = not scored) it computes the losses and returns their
     * mean; without, it returns NaN and leaves the logits for sampling ({@link #logits()}).
     */
    public float forward(int[] inputs, int[] targets, int b, int t) {
        if (t > cfg.seqLen()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model's " + cfg.seqLen());
        }
        ensureActs(b, t);
        final int C = cfg.dim(), L = cfg.layers(), V = cfg.vocabSize(), NH = cfg.heads(), hs = cfg.headSize();
        final int BT = b * t, H = cfg.mlpHidden(), HF = acts.fcWidth;
        final boolean rms = cfg.norm() == ModelConfig.Norm.RMSNORM;
        final float eps = cfg.normEps();
        var a = acts;
        for (int i = 0; i < BT; i++) {
            int tok = inputs[i];
            if (tok < 0 || tok >= V) throw new IllegalArgumentException("token id " + tok + " outside the vocabulary [0, " + V + ")");
        }
        System.arraycopy(inputs, 0, a.inputs, 0, BT);
        profile.start();
        Embedding.forward(pool, a.encoded, inputs, params, layout.wte(), layout.wpe(), b, t, C);
        profile.lap(Profile.Phase.EMBEDDING);

        for (int l = 0; l < L; l++) {
            var blk = layout.block(l);
            float[] resIn = l == 0 ? a.encoded : a.res3;
            int resInOff = l == 0 ? 0 : (l - 1) * BT * C;
            int lc = l * BT * C, ls = l * BT;
            // attention
            norm(rms, a.ln1, lc, a.ln1Mean, a.ln1Rstd, ls, resIn, resInOff, blk.norm1W(), blk.norm1B(), BT, C, eps);
            profile.lap(Profile.Phase.NORM);
            Matmul.forward(pool, a.qkv, l * BT * 3 * C, a.ln1, lc, params, blk.qkvW(), blk.qkvB() >= 0 ? params : null,
                    blk.qkvB(), BT, C, 3 * C);
            profile.lap(Profile.Phase.MATMUL);
            a.attention.forward(pool, l, a.qkv, l * BT * 3 * C, a.qRstd, a.kRstd, l * b * NH * t, params, blk.qNorm(),
                    blk.kNorm(), a.rowMax, a.rowInv, l * b * NH * t, a.atty, lc, a.maxLogit, l * b * NH);
            profile.lap(Profile.Phase.ATTENTION);
            Matmul.forward(pool, a.res2, lc, a.atty, lc, params, blk.projW(), blk.projB() >= 0 ? params : null,
                    blk.projB(), BT, C, C);
            profile.lap(Profile.Phase.MATMUL);
            add(a.res2, lc, resIn, resInOff, BT * C);
            profile.lap(Profile.Phase.RESIDUAL);
            // MLP
            norm(rms, a.ln2, lc, a.ln2Mean, a.ln2Rstd, ls, a.res2, lc, blk.norm2W(), blk.norm2B(), BT, C, eps);
            profile.lap(Profile.Phase.NORM);
            Matmul.forward(pool, a.fch, l * BT * HF, a.ln2, lc, params, blk.fcW(), blk.fcB() >= 0 ? params : null,
                    blk.fcB(), BT, C, HF);
            profile.lap(Profile.Phase.MATMUL);
            int lh = l * BT * H;
            switch (cfg.activation()) {
                case GELU -> Mlp.geluForward(pool, a.fcAct, lh, a.fch, l * BT * HF, BT * H);
                case RELU2 -> Mlp.relu2Forward(pool, a.fcAct, lh, a.fch, l * BT * HF, BT * H);
                case SWIGLU -> Mlp.swigluForward(pool, a.fcAct, lh, a.fch, l * BT * HF, BT, H);
            }
            profile.lap(Profile.Phase.ACTIVATION);
            Matmul.forward(pool, a.res3, lc, a.fcAct, lh, params, blk.mlpProjW(), blk.mlpProjB() >= 0 ? params : null,
                    blk.mlpProjB(), BT, H, C);
            profile.lap(Profile.Phase.MATMUL);
            add(a.res3, lc, a.res2, lc, BT * C);
            profile.lap(Profile.Phase.RESIDUAL);
        }
        norm(rms, a.lnf, 0, a.lnfMean, a.lnfRstd, 0, a.res3, (L - 1) * BT * C, layout.normFWeight(),
                layout.normFBias(), BT, C, eps);
        profile.lap(Profile.Phase.NORM);
        Matmul.forward(pool, a.logits, 0, a.lnf, 0, params, layout.lmHead(), null, 0, BT, C, V);
        profile.lap(Profile.Phase.MATMUL);
        if (targets == null) {
            haveTargets = false;
            return Float.NaN;
        }
        System.arraycopy(targets, 0, a.targets, 0, BT);
        CrossEntropy.forward(pool, a.losses, a.lse, a.logits, 0, targets, BT, V);
        profile.lap(Profile.Phase.LOSS);
        haveTargets = true;
        double sum = 0;
        int count = 0;
        for (int i = 0; i < BT; i++) {
            if (targets[i] >= 0) {
                sum += a.losses[i];
                count++;
            }
        }
        scored = count;
        return count == 0 ? 0f : (float) (sum / count);
    }

    /**
     * Backward pass of the last {@link #forward} with targets: grads += ∂objective/∂params, where the objective is
     * the sum over scored positions of (loss + zLoss·lse²) divided by {@code normalizer} (the number of scored
     * positions of the whole optimizer step, so gradient accumulation over micro-batches gives the mean).
     */
    public void backward(int normalizer) {
        if (grads.length == 0) throw new IllegalStateException("an inference view cannot be trained");
        if (!haveTargets) throw new IllegalStateException("backward needs a forward pass with targets");
        final int b = batch, t = seq, C = cfg.dim(), L = cfg.layers(), V = cfg.vocabSize(), NH = cfg.heads();
        final int BT = b * t, H = cfg.mlpHidden(), HF = acts.fcWidth;
        final boolean rms = cfg.norm() == ModelConfig.Norm.RMSNORM;
        var a = acts;
        // logits now hold their gradient
        profile.start();
        CrossEntropy.backward(pool, a.logits, 0, a.lse, a.targets, BT, V, cfg.zLoss(), normalizer);
        profile.lap(Profile.Phase.LOSS);
        Matmul.backward(pool, a.dln, 0, grads, layout.lmHead(), null, 0, a.logits, 0, a.lnf, 0, params,
                layout.lmHead(), BT, C, V);
        profile.lap(Profile.Phase.MATMUL);
        Arrays.fill(a.dres, 0f);
        normBackward(rms, a.dres, grads, layout.normFWeight(), layout.normFBias(), a.dln, a.res3, (L - 1) * BT * C,
                a.lnfMean, a.lnfRstd, 0, BT, C);
        profile.lap(Profile.Phase.NORM);
        for (int l = L - 1; l >= 0; l--) {
            var blk = layout.block(l);
            float[] resIn = l == 0 ? a.encoded : a.res3;
            int resInOff = l == 0 ? 0 : (l - 1) * BT * C;
            int lc = l * BT * C, ls = l * BT, lh = l * BT * H;
            // MLP: dres is the gradient w.r.t. res3[l]; it also flows unchanged to res2[l]
            Matmul.backward(pool, a.dfcAct, 0, grads, blk.mlpProjW(), blk.mlpProjB() >= 0 ? grads : null,
                    blk.mlpProjB(), a.dres, 0, a.fcAct, lh, params, blk.mlpProjW(), BT, H, C);
            profile.lap(Profile.Phase.MATMUL);
            switch (cfg.activation()) {
                case GELU -> Mlp.geluBackward(pool, a.dfch, 0, a.fch, l * BT * HF, a.dfcAct, 0, BT * H);
                case RELU2 -> Mlp.relu2Backward(pool, a.dfch, 0, a.fch, l * BT * HF, a.dfcAct, 0, BT * H);
                case SWIGLU -> Mlp.swigluBackward(pool, a.dfch, 0, a.fch, l * BT * HF, a.dfcAct, 0, BT, H);
            }
            profile.lap(Profile.Phase.ACTIVATION);
            Matmul.backward(pool, a.dln, 0, grads, blk.fcW(), blk.fcB() >= 0 ? grads : null, blk.fcB(), a.dfch, 0,
                    a.ln2, lc, params, blk.fcW(), BT, C, HF);
            profile.lap(Profile.Phase.MATMUL);
            normBackward(rms, a.dres, grads, blk.norm2W(), blk.norm2B(), a.dln, a.res2, lc, a.ln2Mean, a.ln2Rstd, ls,
                    BT, C);
            profile.lap(Profile.Phase.NORM);
            // attention: dres is now the gradient w.r.t. res2[l]; it also flows unchanged to the block input
            Matmul.backward(pool, a.datty, 0, grads, blk.projW(), blk.projB() >= 0 ? grads : null, blk.projB(),
                    a.dres, 0, a.atty, lc, params, blk.projW(), BT, C, C);
            profile.lap(Profile.Phase.MATMUL);
            a.attention.backward(pool, l, a.dqkv, 0, a.qkv, l * BT * 3 * C, a.qRstd, a.kRstd, l * b * NH * t, params,
                    blk.qNorm(), blk.kNorm(), grads, a.rowMax, a.rowInv, l * b * NH * t, a.datty, 0, a.dq, a.dk);
            profile.lap(Profile.Phase.ATTENTION);
            Matmul.backward(pool, a.dln, 0, grads, blk.qkvW(), blk.qkvB() >= 0 ? grads : null, blk.qkvB(), a.dqkv, 0,
                    a.ln1, lc, params, blk.qkvW(), BT, C, 3 * C);
            profile.lap(Profile.Phase.MATMUL);
            normBackward(rms, a.dres, grads, blk.norm1W(), blk.norm1B(), a.dln, resIn, resInOff, a.ln1Mean,
                    a.ln1Rstd, ls, BT, C);
            profile.lap(Profile.Phase.NORM);
        }
        Embedding.backward(pool, grads, a.dres, a.inputs, layout.wte(), layout.wpe(), b, t, C);
        profile.lap(Profile.Phase.EMBEDDING);
    }

    /** Number of positions scored by the last forward pass. */
    public int scoredPositions() {
        return scored;
    }

    /** Per-position losses (B·T) of the last forward pass with targets. */
    public float[] losses() {
        return acts.losses;
    }

    /** Logits (B,T,V) of the last forward pass (valid until {@link #backward} overwrites them with gradients). */
    public float[] logits() {
        return acts.logits;
    }

    /** Log-sum-exp of the logits per position (B·T) of the last forward pass with targets. */
    public float[] logSumExp() {
        return acts.lse;
    }

    /**
     * Largest attention logit (after scaling and soft-cap) of each layer in the last forward pass: its growth is a
     * warning sign of the attention-logit instability of small models at high learning rates.
     */
    public float[] maxAttentionLogits() {
        int L = cfg.layers(), pairs = batch * cfg.heads();
        float[] out = new float[L];
        for (int l = 0; l < L; l++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < pairs; i++) m = Math.max(m, acts.maxLogit[l * pairs + i]);
            out[l] = m;
        }
        return out;
    }

    private void norm(boolean rms, float[] out, int outOff, float[] mean, float[] rstd, int statOff, float[] inp,
                      int inOff, int wOff, int bOff, int rows, int c, float eps) {
        if (rms) {
            Norm.rmsNormForward(pool, out, outOff, c, rstd, statOff, inp, inOff, c, params, wOff, rows, c, eps);
        } else {
            Norm.layerNormForward(pool, out, outOff, c, mean, statOff, rstd, inp, inOff, c, params, wOff,
                    bOff >= 0 ? params : null, bOff, rows, c, eps);
        }
    }

    private void normBackward(boolean rms, float[] dinp, float[] g, int wOff, int bOff, float[] dout, float[] inp,
                              int inOff, float[] mean, float[] rstd, int statOff, int rows, int c) {
        if (rms) {
            Norm.rmsNormBackward(pool, dinp, 0, c, g, wOff, dout, 0, c, inp, inOff, c, params, wOff, rstd, statOff,
                    rows, c);
        } else {
            Norm.layerNormBackward(pool, dinp, 0, c, g, wOff, bOff >= 0 ? g : null, bOff, dout, 0, c, inp, inOff, c,
                    params, wOff, mean, rstd, statOff, rows, c);
        }
    }

    private void add(float[] out, int outOff, float[] in, int inOff, int n) {
        pool.parallelFor(n, Mlp.GRAIN, (s, e) -> Mlp.add(out, outOff, in, inOff, s, e));
    }

    private void ensureActs(int b, int t) {
        if (acts != null && b == batch && t == seq) return;
        acts = null; // let the old buffers go before allocating new ones
        acts = new Acts(cfg, b, t);
        batch = b;
        seq = t;
    }

    /** Bytes of activation memory for a (batch, seq) shape: lets callers check a shape fits before running. */
    public static long activationBytes(ModelConfig cfg, int b, int t) {
        return 4L * Acts.floats(cfg, b, t);
    }

    /** The activations of one (batch, seq) shape, and scratch for their gradients. */
    private static final class Acts {
        final int fcWidth;
        final int[] inputs, targets;
        final float[] encoded, ln1, ln1Mean, ln1Rstd, qkv, qRstd, kRstd, rowMax, rowInv, atty, res2, ln2, ln2Mean,
                ln2Rstd, fch, fcAct, res3, lnf, lnfMean, lnfRstd, logits, losses, lse, maxLogit;
        final float[] dres, dln, dqkv, datty, dfch, dfcAct, dq, dk;
        final Attention attention;

        Acts(ModelConfig cfg, int b, int t) {
            int C = cfg.dim(), L = cfg.layers(), V = cfg.vocabSize(), NH = cfg.heads(), H = cfg.mlpHidden();
            int BT = b * t;
            fcWidth = cfg.activation() == ModelConfig.Activation.SWIGLU ? 2 * H : H;
            boolean qk = cfg.qkNorm();
            inputs = new int[BT];
            targets = new int[BT];
            encoded = new float[BT * C];
            ln1 = new float[L * BT * C];
            ln1Mean = new float[L * BT];
            ln1Rstd = new float[L * BT];
            qkv = new float[L * BT * 3 * C];
            qRstd = new float[qk ? L * BT * NH : 0];
            kRstd = new float[qk ? L * BT * NH : 0];
            rowMax = new float[L * BT * NH];
            rowInv = new float[L * BT * NH];
            maxLogit = new float[L * b * NH];
            atty = new float[L * BT * C];
            res2 = new float[L * BT * C];
            ln2 = new float[L * BT * C];
            ln2Mean = new float[L * BT];
            ln2Rstd = new float[L * BT];
            fch = new float[L * BT * fcWidth];
            fcAct = new float[L * BT * H];
            res3 = new float[L * BT * C];
            lnf = new float[BT * C];
            lnfMean = new float[BT];
            lnfRstd = new float[BT];
            logits = new float[Math.multiplyExact(BT, V)];
            losses = new float[BT];
            lse = new float[BT];
            dres = new float[BT * C];
            dln = new float[BT * C];
            dqkv = new float[BT * 3 * C];
            datty = new float[BT * C];
            dfch = new float[BT * fcWidth];
            dfcAct = new float[BT * H];
            dq = new float[BT * C];
            dk = new float[BT * C];
            attention = new Attention(cfg, b, t, L, probabilityBudget(cfg, b, t));
        }

        static long floats(ModelConfig cfg, int b, int t) {
            long base = baseFloats(cfg, b, t);
            long kept = Attention.keepsProbabilities(cfg, b, t, cfg.layers(), probabilityBudget(cfg, b, t))
                    ? cfg.layers() * Attention.probabilityFloats(cfg, b, t) : 0;
            return base + kept;
        }

        /** The attention keeps its probabilities for the backward pass when they add at most a quarter. */
        static long probabilityBudget(ModelConfig cfg, int b, int t) {
            return baseFloats(cfg, b, t) / 4;
        }

        private static long baseFloats(ModelConfig cfg, int b, int t) {
            long C = cfg.dim(), L = cfg.layers(), V = cfg.vocabSize(), NH = cfg.heads(), H = cfg.mlpHidden();
            long BT = (long) b * t, HF = cfg.activation() == ModelConfig.Activation.SWIGLU ? 2 * H : H;
            long perLayer = BT * C * 6 + BT * 3 * C + BT * 4 + 2 * BT * NH + BT * HF + BT * H
                    + (cfg.qkNorm() ? 2 * BT * NH : 0);
            return L * perLayer + BT * C * 2 + BT * V + BT * 4 + BT * C * 6 + BT * 3 * C + BT * HF + BT * H;
        }
    }
}
