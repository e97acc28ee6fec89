package dev.flywheel.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

/**
 * The blocked {@link Attention} against the plain {@link AttentionReference}: outputs, largest logits, dqkv and the
 * QK-norm gain gradients, with the probabilities recomputed in the backward pass and kept from the forward pass.
 * Shapes cover one partial query block, several blocks with a partial last one, exact multiples of the block,
 * a single position, heads narrower and wider than a vector, and every variant: QK-norm, RoPE, soft-cap.
 */
class AttentionReferenceTest {

    static final Parallel POOL = new Parallel(2);
    /** Float against float in another order, with FastMath's exp and tanh: a few ulps per element. */
    static final double TOL = 2e-6;

    @AfterAll
    static void close() {
        POOL.close();
    }

    @ParameterizedTest(name = "B={0} T={1} heads={2} C={3} qkNorm={4} rope={5} softCap={6}")
    @CsvSource({
            "2,7,2,16,false,false,0", "2,7,2,16,true,false,0", "2,7,2,16,false,true,0", "2,7,2,16,false,false,2.5",
            "2,7,2,16,true,true,2.5",
            "1,70,2,48,false,false,0", "1,70,2,48,true,true,0", "1,70,2,48,false,false,1.5", "1,70,2,48,true,true,2.5",
            "2,64,4,64,false,false,0", "2,64,4,64,true,true,3", "1,96,3,96,false,true,0",
            "1,1,1,8,false,false,0", "1,1,1,8,true,true,2.5", "3,33,2,128,true,false,0", "1,41,1,64,false,false,5"})
    void blockedAttentionMatchesTheReference(int b, int t, int nh, int c, boolean qkNorm, boolean rope, float cap) {
        int hs = c / nh, bt = b * t;
        var cfg = new ModelConfig(10, t, 1, nh, c, 4 * c, ModelConfig.Norm.LAYERNORM,
                rope ? ModelConfig.Position.ROPE : ModelConfig.Position.LEARNED, ModelConfig.Activation.GELU, true,
                true, qkNorm, 0, cap, 50f, 1e-5f);
        var r = new Random(31L * t + c + (qkNorm ? 1 : 0) + (rope ? 2 : 0));
        float[] qkv = Check.randn(r, bt * 3 * c, 1.5);
        float[] params = Check.randn(r, 2 * hs, 0.3);
        for (int i = 0; i < params.length; i++) params[i] += 1;
        float[] dy = Check.randn(r, bt * c, 1);

        var ref = new AttentionReference(cfg, b, t);
        float[] yRef = new float[bt * c], maxRef = new float[b * nh];
        ref.forward(qkv, params, 0, hs, yRef, maxRef);
        float[] dqkvRef = new float[bt * 3 * c], gradsRef = new float[2 * hs];
        ref.backward(dy, qkv, params, 0, hs, dqkvRef, gradsRef);

        for (boolean kept : new boolean[] {false, true}) {
            var attn = kept ? new Attention(cfg, b, t, 1, Long.MAX_VALUE) : new Attention(cfg, b, t);
            int layer = kept ? 0 : -1;
            String how = kept && attn.keepsProbabilities() ? "kept probabilities" : "recomputed probabilities";
            float[] y = new float[bt * c], maxLogit = new float[b * nh];
            var act = new Attention.Layer(new Slice(qkv, 0), new Slice(y, 0), new float[bt * nh], new float[bt * nh],
                    new float[bt * nh], new float[bt * nh], 0, maxLogit, 0);
            attn.forward(POOL, layer, act, params, 0, hs);
            float[] dqkv = new float[bt * 3 * c], grads = new float[2 * hs];
            var grad = new Attention.Gradients(new Slice(dy, 0), new Slice(dqkv, 0), new float[bt * c],
                    new float[bt * c]);
            attn.backward(POOL, layer, act, grad, params, grads, 0, hs);

            Check.close("y, " + how, y, 0, Check.toDouble(yRef, 0, yRef.length), TOL);
            Check.close("max logit, " + how, maxLogit, 0, Check.toDouble(maxRef, 0, maxRef.length), TOL);
            Check.close("dqkv, " + how, dqkv, 0, Check.toDouble(dqkvRef, 0, dqkvRef.length), TOL);
            if (qkNorm) Check.close("dgain, " + how, grads, 0, Check.toDouble(gradsRef, 0, gradsRef.length), TOL);
        }
    }
}
