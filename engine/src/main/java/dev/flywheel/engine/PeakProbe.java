package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's fused-multiply-add peak in float32 with the Vector API: every thread runs chains of
 * independent FMAs on registers (no memory traffic), so the figure is what the cores can do, the yardstick for
 * model FLOP utilisation.
 */
public final class PeakProbe {

    private static final VectorSpecies<Float> S = Simd.FLOAT;

    private PeakProbe() {}

    /** Best GFLOP/s over a few rounds of about {@code millis} each, with {@code threads} threads. */
    public static double gflops(Parallel pool, int millis) {
        double best = 0;
        long iters = 1 << 20;
        float[] sink = new float[pool.threads() * S.length()];
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            final long n = iters;
            pool.parallelFor(pool.threads(), (s, e) -> {
                for (int p = s; p < e; p++) run(n, sink, p * S.length());
            });
            double sec = (System.nanoTime() - t0) / 1e9;
            double flops = 2.0 * S.length() * 12 * n * pool.threads();
            best = Math.max(best, flops / sec / 1e9);
            if (sec < millis / 1000.0 / 4) iters *= 2;
        }
        return best;
    }

    private static void run(long n, float[] sink, int off) {
        var a = FloatVector.broadcast(S, 0.999f);
        var b = FloatVector.broadcast(S, 0.001f);
        FloatVector c0 = a, c1 = b, c2 = a, c3 = b, c4 = a, c5 = b, c6 = a, c7 = b, c8 = a, c9 = b, c10 = a, c11 = b;
        for (long i = 0; i < n; i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).intoArray(sink, off);
    }
}
