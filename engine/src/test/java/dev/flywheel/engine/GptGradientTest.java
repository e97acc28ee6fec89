package dev.flywheel.engine;

import dev.flywheel.engine.ModelConfig.Activation;
import dev.flywheel.engine.ModelConfig.Norm;
import dev.flywheel.engine.ModelConfig.Position;
import dev.flywheel.engine.ref.RefGpt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole float model against the double-precision autograd reference, in every variant. */
class GptGradientTest {

    static final int V = 11, T = 5, L = 2, NH = 2, C = 8, H = 16;

    static ModelConfig cfg(Norm norm, Position pos, Activation act, boolean tied, boolean bias, boolean qk, float z,
                           float cap) {
        return new ModelConfig(V, T, L, NH, C, H, norm, pos, act, tied, bias, qk, z, cap, 100f, 1e-5f);
    }

    static Stream<ModelConfig> variants() {
        return Stream.of(
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.GELU, true, true, false, 0, 0), // GPT-2
                cfg(Norm.RMSNORM, Position.ROPE, Activation.SWIGLU, false, false, false, 0, 0), // Llama
                cfg(Norm.RMSNORM, Position.LEARNED, Activation.GELU, true, true, false, 0, 0),
                cfg(Norm.LAYERNORM, Position.ROPE, Activation.GELU, true, true, false, 0, 0),
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.SWIGLU, true, true, false, 0, 0),
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.RELU2, true, true, false, 0, 0),
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.GELU, false, true, false, 0, 0),
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.GELU, true, false, false, 0, 0),
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.GELU, true, true, true, 0, 0),
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.GELU, true, true, false, 0.05f, 0),
                cfg(Norm.LAYERNORM, Position.LEARNED, Activation.GELU, true, true, false, 0, 1.5f),
                cfg(Norm.RMSNORM, Position.ROPE, Activation.RELU2, false, true, true, 0.05f, 1.5f));
    }

    record Batch(int[] inputs, int[] targets) {}

    static Batch batch(Random r, int b, boolean someUnscored) {
        int[] in = new int[b * T], tg = new int[b * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = r.nextInt(V);
            tg[i] = someUnscored && i % 4 == 3 ? -1 : r.nextInt(V);
        }
        return new Batch(in, tg);
    }

    static Gpt model(ModelConfig cfg, int threads, long seed) {
        var m = new Gpt(cfg, new Parallel(threads));
        m.initialize(seed);
        var r = new Random(seed);
        for (int i = 0; i < m.params.length; i++) m.params[i] += (float) (r.nextGaussian() * 0.1);
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void lossAndGradientsMatchReference(ModelConfig cfg) {
        var model = model(cfg, 2, 3);
        int b = 3;
        var batch = batch(new Random(4), b, true);
        float loss = model.forward(batch.inputs(), batch.targets(), b, T);
        model.zeroGrad();
        model.backward(model.scoredPositions());
        var ref = RefGpt.run(cfg, model.params, batch.inputs(), batch.targets(), b, T);
        ref.objective().backward();
        assertThat(Math.abs(loss - ref.loss().data[0]) / ref.loss().data[0]).as("loss").isLessThan(1e-5);
        for (var t : model.layout().tensors()) {
            Check.close(cfg + " grad " + t.name(), model.grads, t.offset(), ref.params().get(t.name()).grad, 1e-4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void gradientsDoNotDependOnThreadCount(ModelConfig cfg) {
        float[][] grads = new float[3][];
        float[] losses = new float[3];
        int[] threads = {1, 2, 3};
        for (int i = 0; i < 3; i++) {
            var model = model(cfg, threads[i], 3);
            var batch = batch(new Random(4), 3, true);
            losses[i] = model.forward(batch.inputs(), batch.targets(), 3, T);
            model.zeroGrad();
            model.backward(model.scoredPositions());
            grads[i] = model.grads.clone();
            model.pool().close();
        }
        assertThat(losses[1]).isEqualTo(losses[0]);
        assertThat(losses[2]).isEqualTo(losses[0]);
        assertThat(grads[1]).containsExactly(grads[0]);
        assertThat(grads[2]).containsExactly(grads[0]);
    }

    @Test
    void gradientAccumulationOverMicroBatchesEqualsOneBigBatch() {
        var cfg = variants().findFirst().orElseThrow();
        var r = new Random(8);
        var big = batch(r, 4, false);
        var whole = model(cfg, 2, 3);
        whole.zeroGrad();
        whole.forward(big.inputs(), big.targets(), 4, T);
        whole.backward(4 * T);
        var acc = model(cfg, 2, 3);
        acc.zeroGrad();
        for (int half = 0; half < 2; half++) {
            int[] in = java.util.Arrays.copyOfRange(big.inputs(), half * 2 * T, (half + 1) * 2 * T);
            int[] tg = java.util.Arrays.copyOfRange(big.targets(), half * 2 * T, (half + 1) * 2 * T);
            acc.forward(in, tg, 2, T);
            acc.backward(4 * T);
        }
        Check.close("accumulated gradients", acc.grads, 0, Check.toDouble(whole.grads, 0, whole.grads.length), 1e-5);
    }
}
