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
    private final boolean rms;
    private final float eps;
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
        this.rms = cfg.norm() == ModelConfig.Norm.RMSNORM;
        this.eps = cfg.normEps();
        this.params = new float[layout.size()];
        this.grads = new float[layout.size()];
    }

    private Gpt(Gpt shared) {
        this.cfg = shared.cfg;
        this.layout = shared.layout;
        this.pool = shared.pool;
        this.rms = shared.rms;
        this.eps = shared.eps;
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
        final int C = cfg.dim(), L = cfg.layers(), V = cfg.vocabSize(), BT = b * t;
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
            var w = layout.block(l); // the block's weights: offsets into params and grads
            var x = a.layers[l];     // its activations: slices of the buffers in acts
            // attention
            norm(x.ln1(), x.ln1Stats(), x.in(), w.norm1(), BT);
            profile.lap(Profile.Phase.NORM);
            Matmul.forward(pool, x.qkv(), x.ln1(), params, w.qkv(), BT);
            profile.lap(Profile.Phase.MATMUL);
            a.attention.forward(pool, l, x.attention(), params, w.qNorm(), w.kNorm());
            profile.lap(Profile.Phase.ATTENTION);
            Matmul.forward(pool, x.res2(), x.atty(), params, w.proj(), BT);
            profile.lap(Profile.Phase.MATMUL);
            add(x.res2(), x.in(), BT * C);
            profile.lap(Profile.Phase.RESIDUAL);
            // MLP
            norm(x.ln2(), x.ln2Stats(), x.res2(), w.norm2(), BT);
            profile.lap(Profile.Phase.NORM);
            Matmul.forward(pool, x.fch(), x.ln2(), params, w.fc(), BT);
            profile.lap(Profile.Phase.MATMUL);
            activation(x.fcAct(), x.fch(), BT);
            profile.lap(Profile.Phase.ACTIVATION);
            Matmul.forward(pool, x.res3(), x.fcAct(), params, w.mlpProj(), BT);
            profile.lap(Profile.Phase.MATMUL);
            add(x.res3(), x.res2(), BT * C);
            profile.lap(Profile.Phase.RESIDUAL);
        }
        norm(a.lnf, a.lnfStats, a.layers[L - 1].res3(), layout.normF(), BT);
        profile.lap(Profile.Phase.NORM);
        Matmul.forward(pool, a.logits, a.lnf, params, layout.lmHead(), BT);
        profile.lap(Profile.Phase.MATMUL);
        if (targets == null) {
            haveTargets = false;
            return Float.NaN;
        }
        System.arraycopy(targets, 0, a.targets, 0, BT);
        CrossEntropy.forward(pool, a.losses, a.lse, a.logits.data(), 0, targets, BT, V);
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
        final int b = batch, t = seq, C = cfg.dim(), L = cfg.layers(), V = cfg.vocabSize(), BT = b * t;
        var a = acts;
        // logits now hold their gradient
        profile.start();
        CrossEntropy.backward(pool, a.logits.data(), 0, a.lse, a.targets, BT, V, cfg.zLoss(), normalizer);
        profile.lap(Profile.Phase.LOSS);
        Matmul.backward(pool, a.dln, a.logits, a.lnf, params, grads, layout.lmHead(), BT);
        profile.lap(Profile.Phase.MATMUL);
        Arrays.fill(a.dres.data(), 0f);
        normBackward(a.dres, layout.normF(), a.dln, a.layers[L - 1].res3(), a.lnfStats, BT);
        profile.lap(Profile.Phase.NORM);
        for (int l = L - 1; l >= 0; l--) {
            var w = layout.block(l);
            var x = a.layers[l];
            // MLP: dres is the gradient w.r.t. res3[l]; it also flows unchanged to res2[l]
            Matmul.backward(pool, a.dfcAct, a.dres, x.fcAct(), params, grads, w.mlpProj(), BT);
            profile.lap(Profile.Phase.MATMUL);
            activationBackward(a.dfch, x.fch(), a.dfcAct, BT);
            profile.lap(Profile.Phase.ACTIVATION);
            Matmul.backward(pool, a.dln, a.dfch, x.ln2(), params, grads, w.fc(), BT);
            profile.lap(Profile.Phase.MATMUL);
            normBackward(a.dres, w.norm2(), a.dln, x.res2(), x.ln2Stats(), BT);
            profile.lap(Profile.Phase.NORM);
            // attention: dres is now the gradient w.r.t. res2[l]; it also flows unchanged to the block input
            Matmul.backward(pool, a.datty, a.dres, x.atty(), params, grads, w.proj(), BT);
            profile.lap(Profile.Phase.MATMUL);
            a.attention.backward(pool, l, x.attention(), a.dattention, params, grads, w.qNorm(), w.kNorm());
            profile.lap(Profile.Phase.ATTENTION);
            Matmul.backward(pool, a.dln, a.dqkv, x.ln1(), params, grads, w.qkv(), BT);
            profile.lap(Profile.Phase.MATMUL);
            normBackward(a.dres, w.norm1(), a.dln, x.in(), x.ln1Stats(), BT);
            profile.lap(Profile.Phase.NORM);
        }
        Embedding.backward(pool, grads, a.dres.data(), a.inputs, layout.wte(), layout.wpe(), b, t, C);
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
        return acts.logits.data();
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

    /** norm(inp) into out, rows of C, keeping the statistics for the backward pass. */
    private void norm(Slice out, Norm.Stats stats, Slice inp, ParameterLayout.NormWeights w, int rows) {
        int c = cfg.dim();
        if (rms) {
            Norm.rmsNormForward(pool, out.data(), out.off(), c, stats.rstd(), stats.off(), inp.data(), inp.off(), c,
                    params, w.weight(), rows, c, eps);
        } else {
            Norm.layerNormForward(pool, out.data(), out.off(), c, stats.mean(), stats.off(), stats.rstd(), inp.data(),
                    inp.off(), c, params, w.weight(), w.hasBias() ? params : null, w.bias(), rows, c, eps);
        }
    }

    /** Backward of {@link #norm}: dinp += ∂/∂inp from dout, and the weight and bias gradients into grads. */
    private void normBackward(Slice dinp, ParameterLayout.NormWeights w, Slice dout, Slice inp, Norm.Stats stats,
                              int rows) {
        int c = cfg.dim();
        if (rms) {
            Norm.rmsNormBackward(pool, dinp.data(), dinp.off(), c, grads, w.weight(), dout.data(), dout.off(), c,
                    inp.data(), inp.off(), c, params, w.weight(), stats.rstd(), stats.off(), rows, c);
        } else {
            Norm.layerNormBackward(pool, dinp.data(), dinp.off(), c, grads, w.weight(), w.hasBias() ? grads : null,
                    w.bias(), dout.data(), dout.off(), c, inp.data(), inp.off(), c, params, w.weight(), stats.mean(),
                    stats.rstd(), stats.off(), rows, c);
        }
    }

    /** The MLP's activation: out (rows, H) from fch (rows, H), or (rows, 2H) with SwiGLU (gate, then up). */
    private void activation(Slice out, Slice fch, int rows) {
        int h = cfg.mlpHidden();
        switch (cfg.activation()) {
            case GELU -> Mlp.geluForward(pool, out.data(), out.off(), fch.data(), fch.off(), rows * h);
            case RELU2 -> Mlp.relu2Forward(pool, out.data(), out.off(), fch.data(), fch.off(), rows * h);
            case SWIGLU -> Mlp.swigluForward(pool, out.data(), out.off(), fch.data(), fch.off(), rows, h);
        }
    }

    /** Backward of {@link #activation}: dfch (overwritten) from dout. */
    private void activationBackward(Slice dfch, Slice fch, Slice dout, int rows) {
        int h = cfg.mlpHidden();
        float[] d = dfch.data(), f = fch.data(), g = dout.data();
        switch (cfg.activation()) {
            case GELU -> Mlp.geluBackward(pool, d, dfch.off(), f, fch.off(), g, dout.off(), rows * h);
            case RELU2 -> Mlp.relu2Backward(pool, d, dfch.off(), f, fch.off(), g, dout.off(), rows * h);
            case SWIGLU -> Mlp.swigluBackward(pool, d, dfch.off(), f, fch.off(), g, dout.off(), rows, h);
        }
    }

    /** out += in, n floats. */
    private void add(Slice out, Slice in, int n) {
        float[] o = out.data(), i = in.data();
        int oOff = out.off(), iOff = in.off();
        pool.parallelFor(n, Mlp.GRAIN, (s, e) -> Mlp.add(o, oOff, i, iOff, s, e));
    }

    private void ensureActs(int b, int t) {
        if (acts != null && b == batch && t == seq) return;
        acts = null; // let the old buffers go before allocating new ones
        acts = new Acts(cfg, b, t, true);
        batch = b;
        seq = t;
    }

    /**
     * Bytes of activation memory for a (batch, seq) shape: lets callers check a shape fits before running. It is the
     * count the allocation itself keeps, so the two cannot disagree.
     */
    public static long activationBytes(ModelConfig cfg, int b, int t) {
        return new Acts(cfg, b, t, false).bytes;
    }

    /**
     * The activations of one (batch, seq) shape, and scratch for their gradients. Each per-layer activation is one
     * buffer for all L layers, layer l's part at l times the part's size; {@link Layer} names one layer's parts.
     * Shapes below are per layer for those buffers.
     */
    private static final class Acts {
        /** Bytes allocated so far: every buffer is allocated through {@link #floats} or {@link #ints}. */
        long bytes;
        private final boolean allocate;

        final int[] inputs, targets;                  // (B,T) token ids
        final float[] encoded;                        // (B,T,C) token + position embeddings: block 0's input
        final float[] ln1, ln1Mean, ln1Rstd;          // (B,T,C) norm1 of the block input; (B,T) its statistics
        final float[] qkv;                            // (B,T,3C) q, k, v
        final float[] qRstd, kRstd;                   // (B,NH,T) QK-norm 1/rms of q and k (QK-norm only)
        final float[] rowMax, rowInv;                 // (B,NH,T) softmax max and 1/Σexp per query
        final float[] maxLogit;                       // (B,NH) largest attention logit
        final float[] atty;                           // (B,T,C) attention output, heads side by side
        final float[] res2;                           // (B,T,C) residual after attention
        final float[] ln2, ln2Mean, ln2Rstd;          // (B,T,C) norm2; (B,T) its statistics
        final float[] fch;                            // (B,T,HF) MLP hidden before the activation (HF = 2H: SwiGLU)
        final float[] fcAct;                          // (B,T,H) MLP hidden after the activation
        final float[] res3;                           // (B,T,C) residual after the MLP: the next block's input
        final Slice lnf;                              // (B,T,C) final norm, once
        final Norm.Stats lnfStats;                    // (B,T)
        final Slice logits;                           // (B,T,V) logits, then their gradient
        final float[] losses, lse;                    // (B,T) loss and log-sum-exp per position
        // gradients, one layer at a time
        final Slice dres;                             // (B,T,C) gradient w.r.t. the residual stream
        final Slice dln;                              // (B,T,C) gradient w.r.t. a norm's output
        final Slice dqkv;                             // (B,T,3C)
        final Slice datty;                            // (B,T,C)
        final Slice dfch;                             // (B,T,HF)
        final Slice dfcAct;                           // (B,T,H)
        final Attention.Gradients dattention;         // datty → dqkv, with dq, dk (B,NH,T,hs) scratch
        final Layer[] layers;
        final Attention attention;

        /** Layer l's parts of the per-layer buffers; {@code in} is the block's input (encoded or res3 of l − 1). */
        record Layer(Slice in, Slice ln1, Norm.Stats ln1Stats, Slice qkv, Attention.Layer attention, Slice atty,
                     Slice res2, Slice ln2, Norm.Stats ln2Stats, Slice fch, Slice fcAct, Slice res3) {}

        /** Allocates the buffers, or, when {@code allocate} is false, only counts their {@link #bytes}. */
        Acts(ModelConfig cfg, int b, int t, boolean allocate) {
            this.allocate = allocate;
            long C = cfg.dim(), L = cfg.layers(), V = cfg.vocabSize(), NH = cfg.heads(), H = cfg.mlpHidden();
            long BT = (long) b * t, HF = cfg.activation() == ModelConfig.Activation.SWIGLU ? 2 * H : H;
            long qk = cfg.qkNorm() ? 1 : 0;
            inputs = ints(BT);
            targets = ints(BT);
            encoded = floats(BT * C);
            ln1 = floats(L * BT * C);
            ln1Mean = floats(L * BT);
            ln1Rstd = floats(L * BT);
            qkv = floats(L * BT * 3 * C);
            qRstd = floats(qk * L * BT * NH);
            kRstd = floats(qk * L * BT * NH);
            rowMax = floats(L * BT * NH);
            rowInv = floats(L * BT * NH);
            maxLogit = floats(L * b * NH);
            atty = floats(L * BT * C);
            res2 = floats(L * BT * C);
            ln2 = floats(L * BT * C);
            ln2Mean = floats(L * BT);
            ln2Rstd = floats(L * BT);
            fch = floats(L * BT * HF);
            fcAct = floats(L * BT * H);
            res3 = floats(L * BT * C);
            lnf = new Slice(floats(BT * C), 0);
            lnfStats = new Norm.Stats(floats(BT), floats(BT), 0);
            logits = new Slice(floats(BT * V), 0);
            losses = floats(BT);
            lse = floats(BT);
            dres = new Slice(floats(BT * C), 0);
            dln = new Slice(floats(BT * C), 0);
            dqkv = new Slice(floats(BT * 3 * C), 0);
            datty = new Slice(floats(BT * C), 0);
            dfch = new Slice(floats(BT * HF), 0);
            dfcAct = new Slice(floats(BT * H), 0);
            dattention = new Attention.Gradients(datty, dqkv, floats(BT * C), floats(BT * C));

            layers = new Layer[cfg.layers()];
            int c = cfg.dim(), bt = b * t, pairs = b * cfg.heads();
            for (int l = 0; l < layers.length; l++) {
                int lc = l * bt * c, ls = l * bt;
                var in = l == 0 ? new Slice(encoded, 0) : new Slice(res3, lc - bt * c);
                var attn = new Attention.Layer(new Slice(qkv, 3 * lc), new Slice(atty, lc), qRstd, kRstd, rowMax,
                        rowInv, l * pairs * t, maxLogit, l * pairs);
                layers[l] = new Layer(in, new Slice(ln1, lc), new Norm.Stats(ln1Mean, ln1Rstd, ls),
                        new Slice(qkv, 3 * lc), attn, new Slice(atty, lc), new Slice(res2, lc), new Slice(ln2, lc),
                        new Norm.Stats(ln2Mean, ln2Rstd, ls), new Slice(fch, (int) (ls * HF)),
                        new Slice(fcAct, (int) (ls * H)), new Slice(res3, lc));
            }
            // the attention keeps its probabilities for the backward pass when they add at most a quarter
            long budget = bytes / 4 / Float.BYTES;
            if (Attention.keepsProbabilities(cfg, b, t, cfg.layers(), budget)) {
                bytes += Float.BYTES * L * Attention.probabilityFloats(cfg, b, t);
            }
            attention = allocate ? new Attention(cfg, b, t, cfg.layers(), budget) : null;
        }

        private float[] floats(long n) {
            bytes += Float.BYTES * n;
            return allocate ? new float[Math.toIntExact(n)] : EMPTY;
        }

        private int[] ints(long n) {
            bytes += Integer.BYTES * n;
            return allocate ? new int[Math.toIntExact(n)] : new int[0];
        }

        private static final float[] EMPTY = new float[0];
    }
}
