package dev.flywheel.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The engine's matrix product and OpenBLAS's {@code cblas_sgemm} (called through the foreign-function API) on the
 * same shapes in one JVM, alternating round by round, so that a shared machine's drift — which on a noisy host
 * moves a product's speed by ±20% from one minute to the next — falls on both alike. Each round times each
 * contender for a fixed time (the order flips every round); the medians and their ratio are printed as one JSON
 * object per shape. Shapes and layouts are those of {@link MatmulBench} ({@code MxNxK:nn|nt|tn}); both compute
 * C = A·B with C overwritten.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/classes:... \
 *     dev.flywheel.engine.SgemmSideBySide LIBOPENBLAS THREADS ROUNDS SECONDS SHAPE...
 * </pre>
 *
 * Run it with {@code OMP_WAIT_POLICY=PASSIVE} (bench/matmul.sh --same-jvm does): OpenMP's worker threads otherwise
 * spin for a while after each sgemm and take the cores from the engine's threads in the next measurement.
 */
public final class SgemmSideBySide {

    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private SgemmSideBySide() {}

    public static void main(String[] args) throws Throwable {
        if (args.length < 5) {
            System.err.println("usage: SgemmSideBySide LIBOPENBLAS THREADS ROUNDS SECONDS MxNxK:layout...");
            System.exit(2);
        }
        Path lib = Path.of(args[0]);
        if (!Files.isReadable(lib)) {
            System.err.println("SgemmSideBySide: " + lib + " is not a readable library; install libopenblas0-openmp.");
            System.exit(2);
        }
        int threads = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
        double seconds = Double.parseDouble(args[3]);
        var linker = Linker.nativeLinker();
        var blas = SymbolLookup.libraryLookup(lib, Arena.global());
        MethodHandle setThreads = linker.downcallHandle(blas.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        setThreads.invoke(threads);
        var I = ValueLayout.JAVA_INT;
        var F = ValueLayout.JAVA_FLOAT;
        var P = ValueLayout.ADDRESS;
        MethodHandle sgemm = linker.downcallHandle(blas.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, P, I, P, I, F, P, I));
        try (var pool = new Parallel(threads)) {
            for (int s = 4; s < args.length; s++) run(args[s], pool, sgemm, rounds, seconds, threads);
        }
    }

    private static void run(String shape, Parallel pool, MethodHandle sgemm, int rounds, double seconds, int threads)
            throws Throwable {
        if (!shape.matches("[1-9][0-9]*x[1-9][0-9]*x[1-9][0-9]*:(nn|nt|tn)")) {
            throw new IllegalArgumentException("shape '" + shape + "' is not MxNxK:layout (layout nn, nt or tn)");
        }
        String[] parts = shape.split(":"), d = parts[0].split("x");
        int m = Integer.parseInt(d[0]), n = Integer.parseInt(d[1]), k = Integer.parseInt(d[2]);
        boolean aT = parts[1].charAt(0) == 't', bT = parts[1].charAt(1) == 't';
        int rs = aT ? 1 : k, ks = aT ? m : 1, lda = aT ? m : k, ldb = bT ? k : n;
        var r = new Random(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        try (var arena = Arena.ofConfined()) {
            MemorySegment na = arena.allocate(4L * a.length, 64), nb = arena.allocate(4L * b.length, 64),
                    nc = arena.allocate(4L * c.length, 64);
            MemorySegment.copy(a, 0, na, ValueLayout.JAVA_FLOAT, 0, a.length);
            MemorySegment.copy(b, 0, nb, ValueLayout.JAVA_FLOAT, 0, b.length);
            Timed ours = () -> Matmul.gemm(pool, c, 0, n, a, 0, rs, ks, b, 0, bT, ldb, m, n, k, false);
            Timed theirs = () -> sgemm.invoke(ROW_MAJOR, aT ? TRANS : NO_TRANS, bT ? TRANS : NO_TRANS, m, n, k, 1f,
                    na, lda, nb, ldb, 0f, nc, n);
            double flops = 2.0 * m * n * k;
            // warm-up: the JIT compiles the engine's kernels, OpenBLAS starts its threads
            for (int w = 0; w < 2; w++) {
                gflops(ours, flops, seconds);
                gflops(theirs, flops, seconds);
            }
            List<Double> f = new ArrayList<>(), o = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                if (round % 2 == 0) {
                    f.add(gflops(ours, flops, seconds));
                    o.add(gflops(theirs, flops, seconds));
                } else {
                    o.add(gflops(theirs, flops, seconds));
                    f.add(gflops(ours, flops, seconds));
                }
            }
            // the two results must agree, or the comparison means nothing
            float[] blasC = nc.toArray(ValueLayout.JAVA_FLOAT);
            double worst = 0, scale = Math.sqrt(k);
            for (int i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - blasC[i]) / scale);
            if (worst > 1e-4) throw new IllegalStateException(shape + ": the engine and OpenBLAS disagree by " + worst);
            double fm = median(f), om = median(o);
            System.out.printf(Locale.ROOT, "{\"shape\":\"%s\",\"layout\":\"%s\",\"threads\":%d,\"rounds\":%d,"
                            + "\"flywheel_gflops\":%.1f,\"openblas_gflops\":%.1f,\"fraction\":%.3f}%n",
                    parts[0], parts[1], threads, rounds, fm, om, fm / om);
        }
    }

    @FunctionalInterface
    private interface Timed {
        void run() throws Throwable;
    }

    /** Repeats the product for about {@code seconds} (at least once) and returns its GFLOP/s. */
    private static double gflops(Timed product, double flops, double seconds) throws Throwable {
        long t0 = System.nanoTime(), reps = 0;
        do {
            product.run();
            reps++;
        } while (System.nanoTime() - t0 < seconds * 1e9);
        return flops * reps / (System.nanoTime() - t0);
    }

    private static double median(List<Double> xs) {
        double[] v = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
