package dev.flywheel.engine;

import dev.flywheel.engine.ref.Var;

import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Test helpers: random data, relative errors, finite differences. */
final class Check {

    private Check() {}

    static float[] randn(Random r, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * std);
        return a;
    }

    /** ‖a − ref‖ / ‖ref‖ over n elements from the given offsets. */
    static double relErr(float[] a, int aOff, double[] ref, int n) {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            double d = a[aOff + i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    static void close(String what, float[] a, int aOff, double[] ref, double tol) {
        double e = relErr(a, aOff, ref, ref.length);
        assertThat(e).as("%s: relative error %.3g (tolerance %.1g)", what, e, tol).isLessThanOrEqualTo(tol);
    }

    static double[] toDouble(float[] a, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = a[off + i];
        return d;
    }

    /**
     * Checks the autograd gradient of a scalar function against central finite differences on every element of
     * the given inputs (or on a random sample of at most {@code maxChecks} elements each), in double precision.
     */
    static void finiteDifferences(String what, Supplier<Var> f, Var[] inputs, int maxChecks, double tol, long seed) {
        Var out = f.get();
        out.backward();
        double[][] analytic = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) analytic[i] = inputs[i].grad.clone();
        var rnd = new Random(seed);
        double h = 1e-5;
        for (int i = 0; i < inputs.length; i++) {
            Var x = inputs[i];
            int checks = Math.min(maxChecks, x.size());
            for (int c = 0; c < checks; c++) {
                int j = checks == x.size() ? c : rnd.nextInt(x.size());
                double old = x.data[j];
                x.data[j] = old + h;
                double plus = f.get().data[0];
                x.data[j] = old - h;
                double minus = f.get().data[0];
                x.data[j] = old;
                double numeric = (plus - minus) / (2 * h);
                double a = analytic[i][j];
                // relative tolerance, with an absolute floor at the round-off level of a central difference
                double allowed = tol * Math.max(Math.abs(numeric), Math.abs(a)) + 1e-9;
                assertThat(Math.abs(numeric - a)).as("%s: input %d element %d: autograd %.10g vs finite difference %.10g",
                        what, i, j, a, numeric).isLessThanOrEqualTo(allowed);
            }
        }
    }

    /** A scalar loss Σ y·w with fixed random weights w, so every output element's gradient is exercised. */
    static Var weightedSum(Var y, long seed) {
        var r = new Random(seed);
        double[] w = new double[y.size()];
        for (int i = 0; i < w.length; i++) w[i] = r.nextGaussian();
        return y.mul(new Var(w, y.shape)).sum();
    }
}
