package dev.flywheel.engine;

/**
 * The architecture of one GPT: every switch the engine supports. Immutable; validated on construction
 * so that a model that cannot be built is refused before any memory is allocated.
 *
 * @param vocabSize  number of token ids (V)
 * @param seqLen     maximum context length (T); learned position embeddings have this many rows
 * @param layers     transformer blocks (L)
 * @param heads      attention heads (NH); dim must be divisible by heads
 * @param dim        model width (C)
 * @param mlpHidden  hidden width of the MLP (H); 4·C in GPT-2
 * @param norm       LayerNorm or RMSNorm, used for both pre-norms and the final norm
 * @param position   learned absolute position embeddings or rotary embeddings (RoPE, rotate-half form)
 * @param activation GELU (tanh approximation), SwiGLU, or squared ReLU
 * @param tiedHead   the LM head reuses the token embedding matrix
 * @param bias       linear layers and LayerNorms carry biases
 * @param qkNorm     queries and keys are RMS-normalised per head (with a learned gain) before attention
 * @param zLoss      coefficient of the z-loss term zLoss·mean(logsumexp²) added to the objective (0 = off)
 * @param attnSoftCap soft cap c of attention logits, s ↦ c·tanh(s/c) (0 = off)
 * @param ropeTheta  RoPE base frequency
 * @param normEps    epsilon of LayerNorm / RMSNorm
 */
public record ModelConfig(
        int vocabSize, int seqLen, int layers, int heads, int dim, int mlpHidden,
        Norm norm, Position position, Activation activation,
        boolean tiedHead, boolean bias, boolean qkNorm,
        float zLoss, float attnSoftCap, float ropeTheta, float normEps) {

    public enum Norm { LAYERNORM, RMSNORM }

    public enum Position { LEARNED, ROPE }

    public enum Activation { GELU, SWIGLU, RELU2 }

    public ModelConfig {
        require(vocabSize >= 2, "vocab size must be at least 2 (got " + vocabSize + ")");
        require(seqLen >= 1, "sequence length must be at least 1 (got " + seqLen + ")");
        require(layers >= 1, "layers must be at least 1 (got " + layers + ")");
        require(heads >= 1, "heads must be at least 1 (got " + heads + ")");
        require(dim >= 1, "dim must be at least 1 (got " + dim + ")");
        require(dim % heads == 0, "dim " + dim + " is not divisible by heads " + heads
                + "; choose a dim that is a multiple of the number of heads");
        require(mlpHidden >= 1, "MLP hidden width must be at least 1 (got " + mlpHidden + ")");
        require(position != Position.ROPE || (dim / heads) % 2 == 0,
                "RoPE needs an even head size, but dim/heads = " + dim / heads);
        require(zLoss >= 0 && Float.isFinite(zLoss), "z-loss coefficient must be a finite number >= 0");
        require(attnSoftCap >= 0 && Float.isFinite(attnSoftCap), "attention soft-cap must be a finite number >= 0");
        require(ropeTheta > 0, "RoPE theta must be positive");
        require(normEps > 0, "norm epsilon must be positive");
        java.util.Objects.requireNonNull(norm, "norm");
        java.util.Objects.requireNonNull(position, "position");
        java.util.Objects.requireNonNull(activation, "activation");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public int headSize() {
        return dim / heads;
    }

    /** GPT-2 switches: LayerNorm, learned positions, GELU, tied head, biases. */
    public static ModelConfig gpt2(int vocabSize, int seqLen, int layers, int heads, int dim) {
        return new ModelConfig(vocabSize, seqLen, layers, heads, dim, 4 * dim, Norm.LAYERNORM, Position.LEARNED,
                Activation.GELU, true, true, false, 0f, 0f, 10000f, 1e-5f);
    }

    /** Llama switches: RMSNorm, RoPE, SwiGLU, untied head, no biases. */
    public static ModelConfig llama(int vocabSize, int seqLen, int layers, int heads, int dim) {
        return new ModelConfig(vocabSize, seqLen, layers, heads, dim, 4 * dim, Norm.RMSNORM, Position.ROPE,
                Activation.SWIGLU, false, false, false, 0f, 0f, 10000f, 1e-5f);
    }

    public boolean isGpt2Layout() {
        return norm == Norm.LAYERNORM && position == Position.LEARNED && activation == Activation.GELU
                && tiedHead && bias && !qkNorm && attnSoftCap == 0f;
    }

    public boolean isLlamaLayout() {
        return norm == Norm.RMSNORM && position == Position.ROPE && activation == Activation.SWIGLU
                && !tiedHead && !bias && !qkNorm && attnSoftCap == 0f;
    }

    public ModelConfig withVocabSize(int v) {
        return new ModelConfig(v, seqLen, layers, heads, dim, mlpHidden, norm, position, activation, tiedHead, bias,
                qkNorm, zLoss, attnSoftCap, ropeTheta, normEps);
    }

    public ModelConfig withSeqLen(int t) {
        return new ModelConfig(vocabSize, t, layers, heads, dim, mlpHidden, norm, position, activation, tiedHead, bias,
                qkNorm, zLoss, attnSoftCap, ropeTheta, normEps);
    }
}
