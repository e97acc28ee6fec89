package dev.flywheel.engine;

import dev.flywheel.engine.ModelConfig.Activation;
import dev.flywheel.engine.ModelConfig.Norm;
import dev.flywheel.engine.ModelConfig.Position;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bitwise equality of loss and gradients for 1, 2 and 3 threads on shapes wide enough for every vector path of
 * the kernels: model rows of several vectors plus a tail, heads that are not a whole tile wide, sequences over
 * several attention blocks, matrix products above the size at which they go parallel, an odd vocabulary.
 * (GptGradientTest checks the same on tiny shapes, where most of the work is in scalar tails.)
 */
class ThreadInvarianceTest {

    static Stream<ModelConfig> configs() {
        return Stream.of(
                new ModelConfig(41, 36, 1, 2, 48, 192, Norm.LAYERNORM, Position.LEARNED, Activation.GELU, true, true,
                        false, 0, 0, 10000f, 1e-5f),
                new ModelConfig(41, 36, 1, 2, 48, 136, Norm.RMSNORM, Position.ROPE, Activation.SWIGLU, false, false,
                        true, 0.01f, 3f, 10000f, 1e-5f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void lossAndGradientsAreBitwiseTheSameForAnyThreadCount(ModelConfig cfg) {
        int b = 2, t = 35;
        var r = new Random(5);
        int[] in = new int[b * t], tg = new int[b * t];
        for (int i = 0; i < in.length; i++) {
            in[i] = r.nextInt(cfg.vocabSize());
            tg[i] = i % 11 == 5 ? -1 : r.nextInt(cfg.vocabSize());
        }
        float[] firstGrads = null;
        float firstLoss = 0;
        for (int threads = 1; threads <= 3; threads++) {
            try (var pool = new Parallel(threads)) {
                var model = new Gpt(cfg, pool);
                model.initialize(11);
                var pr = new Random(12);
                for (int i = 0; i < model.params.length; i++) model.params[i] += (float) (pr.nextGaussian() * 0.05);
                model.zeroGrad();
                float loss = model.forward(in, tg, b, t);
                model.backward(model.scoredPositions());
                if (firstGrads == null) {
                    firstGrads = model.grads.clone();
                    firstLoss = loss;
                } else {
                    assertThat(loss).as("loss with %d threads", threads).isEqualTo(firstLoss);
                    assertThat(model.grads).as("gradients with %d threads", threads).containsExactly(firstGrads);
                }
            }
        }
    }
}
