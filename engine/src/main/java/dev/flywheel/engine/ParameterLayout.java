package dev.flywheel.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every parameter tensor lives in the model's single flat buffer. Gradients and optimizer moments use the
 * same offsets in buffers of the same size. Names are those of the {@code flywheel} checkpoint layout
 * (docs/model.md).
 */
public final class ParameterLayout {

    /** What a tensor is, which decides weight decay and which optimizer updates it. */
    public enum Kind {
        /** token / position embedding or untied LM head: decayed, always AdamW */
        EMBEDDING,
        /** weight matrix of a hidden linear layer: decayed, Muon when Muon is on */
        MATRIX,
        /** bias, norm weight or gain: never decayed, AdamW */
        VECTOR
    }

    /** One tensor: its name, shape, offset into the flat buffer and kind. */
    public record Tensor(String name, int[] shape, int offset, Kind kind) {
        public int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        public int rows() {
            return shape[0];
        }

        public int cols() {
            return shape.length > 1 ? shape[1] : 1;
        }
    }

    /** A linear layer {@code y = x · W^T (+ b)}: offsets of W (out, in) and of b (out), −1 when it has no bias. */
    public record Linear(int weight, int bias, int in, int out) {
        public boolean hasBias() {
            return bias >= 0;
        }
    }

    /** A norm's weight (C) and bias (C) offsets; the bias is −1 for RMSNorm or without biases. */
    public record NormWeights(int weight, int bias) {
        public boolean hasBias() {
            return bias >= 0;
        }
    }

    /** One block's tensors; qNorm and kNorm are the offsets of the QK-norm gains (hs), −1 without QK-norm. */
    public record Block(NormWeights norm1, Linear qkv, int qNorm, int kNorm, Linear proj, NormWeights norm2,
                        Linear fc, Linear mlpProj) {}

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, Tensor> byName = new LinkedHashMap<>();
    private final Block[] blocks;
    private final int wte, wpe;
    private final NormWeights normF;
    private final Linear lmHead;
    private final int size;
    private int next;

    public ParameterLayout(ModelConfig cfg) {
        int V = cfg.vocabSize(), T = cfg.seqLen(), C = cfg.dim(), H = cfg.mlpHidden(), hs = cfg.headSize();
        boolean layerNorm = cfg.norm() == ModelConfig.Norm.LAYERNORM, bias = cfg.bias();
        boolean swiglu = cfg.activation() == ModelConfig.Activation.SWIGLU;
        wte = add("wte", Kind.EMBEDDING, V, C);
        wpe = cfg.position() == ModelConfig.Position.LEARNED ? add("wpe", Kind.EMBEDDING, T, C) : -1;
        blocks = new Block[cfg.layers()];
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "h." + l + ".";
            int n1w = add(p + "norm1.weight", Kind.VECTOR, C);
            int n1b = layerNorm && bias ? add(p + "norm1.bias", Kind.VECTOR, C) : -1;
            int qkvW = add(p + "attn.qkv.weight", Kind.MATRIX, 3 * C, C);
            int qkvB = bias ? add(p + "attn.qkv.bias", Kind.VECTOR, 3 * C) : -1;
            int qn = cfg.qkNorm() ? add(p + "attn.q_norm.weight", Kind.VECTOR, hs) : -1;
            int kn = cfg.qkNorm() ? add(p + "attn.k_norm.weight", Kind.VECTOR, hs) : -1;
            int projW = add(p + "attn.proj.weight", Kind.MATRIX, C, C);
            int projB = bias ? add(p + "attn.proj.bias", Kind.VECTOR, C) : -1;
            int n2w = add(p + "norm2.weight", Kind.VECTOR, C);
            int n2b = layerNorm && bias ? add(p + "norm2.bias", Kind.VECTOR, C) : -1;
            int fcW, fcB;
            if (swiglu) {
                // gate and up are adjacent, so together they are one (2H, C) matrix and one matmul
                fcW = add(p + "mlp.gate.weight", Kind.MATRIX, H, C);
                add(p + "mlp.up.weight", Kind.MATRIX, H, C);
                fcB = bias ? add(p + "mlp.gate.bias", Kind.VECTOR, H) : -1;
                if (bias) add(p + "mlp.up.bias", Kind.VECTOR, H);
            } else {
                fcW = add(p + "mlp.fc.weight", Kind.MATRIX, H, C);
                fcB = bias ? add(p + "mlp.fc.bias", Kind.VECTOR, H) : -1;
            }
            int mpW = add(p + "mlp.proj.weight", Kind.MATRIX, C, H);
            int mpB = bias ? add(p + "mlp.proj.bias", Kind.VECTOR, C) : -1;
            int fcOut = swiglu ? 2 * H : H;
            blocks[l] = new Block(new NormWeights(n1w, n1b), new Linear(qkvW, qkvB, C, 3 * C), qn, kn,
                    new Linear(projW, projB, C, C), new NormWeights(n2w, n2b), new Linear(fcW, fcB, C, fcOut),
                    new Linear(mpW, mpB, H, C));
        }
        int normFW = add("norm_f.weight", Kind.VECTOR, C);
        normF = new NormWeights(normFW, layerNorm && bias ? add("norm_f.bias", Kind.VECTOR, C) : -1);
        lmHead = new Linear(cfg.tiedHead() ? wte : add("lm_head.weight", Kind.EMBEDDING, V, C), -1, C, V);
        size = next;
    }

    private int add(String name, Kind kind, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (next + n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("the model has more than 2^31 parameters; choose a smaller model");
        }
        var t = new Tensor(name, shape, next, kind);
        tensors.add(t);
        byName.put(name, t);
        next += (int) n;
        return t.offset();
    }

    public List<Tensor> tensors() {
        return Collections.unmodifiableList(tensors);
    }

    public Tensor tensor(String name) {
        return byName.get(name);
    }

    public Block block(int l) {
        return blocks[l];
    }

    public int wte() {
        return wte;
    }

    /** Offset of the learned position embedding, or −1 with RoPE. */
    public int wpe() {
        return wpe;
    }

    public NormWeights normF() {
        return normF;
    }

    /** The LM head (V, C), without bias: the token embedding when tied. */
    public Linear lmHead() {
        return lmHead;
    }

    /** Total number of parameters. */
    public int size() {
        return size;
    }
}
