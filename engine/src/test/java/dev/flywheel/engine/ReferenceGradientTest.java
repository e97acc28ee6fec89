package dev.flywheel.engine;

import dev.flywheel.engine.ref.RefGpt;
import dev.flywheel.engine.ref.Var;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Finite differences in double precision for the reference autograd: each primitive, each composite layer, and the
 * whole model in every variant. The engine's float kernels are then checked against this reference
 * ({@link OpsTest}, {@link GptGradientTest}).
 */
class ReferenceGradientTest {

    static Var rand(Random r, double std, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = r.nextGaussian() * std;
        return new Var(d, shape);
    }

    static void checkUnary(String name, Function<Var, Var> op, double shift) {
        var r = new Random(name.hashCode());
        Var x = rand(r, 1, 3, 5);
        if (shift != 0) for (int i = 0; i < x.size(); i++) x.data[i] = Math.abs(x.data[i]) + shift;
        Check.finiteDifferences(name, () -> Check.weightedSum(op.apply(x), 7), new Var[] {x}, 100, 1e-6, 1);
    }

    @Test
    void primitives() {
        checkUnary("exp", Var::exp, 0);
        checkUnary("log", Var::log, 0.5);
        checkUnary("tanh", Var::tanh, 0);
        checkUnary("pow(-0.5)", v -> v.pow(-0.5), 0.5);
        checkUnary("pow(3)", v -> v.pow(3), 0);
        checkUnary("relu", Var::relu, 0);
        checkUnary("sigmoid", Var::sigmoid, 0);
        checkUnary("sumLast", Var::sumLast, 0);
        checkUnary("broadcastCol", v -> v.reshape(15, 1).broadcastCol(4), 0);
        checkUnary("broadcastRow", v -> v.reshape(15).broadcastRow(3), 0);
        var r = new Random(3);
        Var a = rand(r, 1, 2, 3, 4), b = rand(r, 1, 2, 4, 5), bt = rand(r, 1, 2, 5, 4), c = rand(r, 1, 2, 3, 4);
        Check.finiteDifferences("bmm", () -> Check.weightedSum(a.bmm(b, false), 2), new Var[] {a, b}, 100, 1e-6, 2);
        Check.finiteDifferences("bmm^T", () -> Check.weightedSum(a.bmm(bt, true), 2), new Var[] {a, bt}, 100, 1e-6, 3);
        Check.finiteDifferences("mul/add", () -> Check.weightedSum(a.mul(c).add(a), 4), new Var[] {a, c}, 100, 1e-6, 4);
    }

    @Test
    void layers() {
        var r = new Random(11);
        Var x = rand(r, 1, 6, 8), w = rand(r, 1, 8), bias = rand(r, 1, 8), wl = rand(r, 0.5, 5, 8), bl = rand(r, 1, 5);
        Check.finiteDifferences("layerNorm", () -> Check.weightedSum(RefGpt.layerNorm(x, w, bias, 1e-5), 1),
                new Var[] {x, w, bias}, 100, 1e-5, 1);
        Check.finiteDifferences("rmsNorm", () -> Check.weightedSum(RefGpt.rmsNorm(x, w, 1e-5), 1),
                new Var[] {x, w}, 100, 1e-5, 1);
        Check.finiteDifferences("gelu", () -> Check.weightedSum(RefGpt.gelu(x), 1), new Var[] {x}, 100, 1e-6, 1);
        Check.finiteDifferences("linear", () -> Check.weightedSum(RefGpt.linear(x, wl, bl), 1),
                new Var[] {x, wl, bl}, 100, 1e-6, 1);
        Check.finiteDifferences("rope", () -> Check.weightedSum(RefGpt.rope(x.reshape(2, 3, 8), 2, 3, 8, 100), 1),
                new Var[] {x}, 100, 1e-6, 1);
    }

    static Stream<ModelConfig> variants() {
        return GptGradientTest.variants();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void wholeModel(ModelConfig cfg) {
        var model = new Gpt(cfg, new Parallel(1));
        model.initialize(5);
        // larger weights than at initialisation, so every path carries a gradient well above round-off
        var r = new Random(9);
        for (int i = 0; i < model.params.length; i++) model.params[i] += (float) (r.nextGaussian() * 0.1);
        int b = 2, t = cfg.seqLen();
        int[] in = new int[b * t], tg = new int[b * t];
        for (int i = 0; i < in.length; i++) {
            in[i] = r.nextInt(cfg.vocabSize());
            tg[i] = r.nextInt(cfg.vocabSize());
        }
        var res = RefGpt.run(cfg, model.params, in, tg, b, t);
        Var[] ps = res.params().values().toArray(new Var[0]);
        // finite differences re-run the model from the same Vars: rebuild the graph over them each time
        Check.finiteDifferences("model " + cfg, () -> rebuild(cfg, res, in, tg, b, t), ps, 6, 1e-5, 17);
    }

    /** Runs the reference model again on the current values of the given parameter Vars. */
    private static Var rebuild(ModelConfig cfg, RefGpt.Result res, int[] in, int[] tg, int b, int t) {
        return RefGpt.runWith(cfg, res.params(), in, tg, b, t).objective();
    }
}
