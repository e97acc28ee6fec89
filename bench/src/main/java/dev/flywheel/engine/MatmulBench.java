package dev.flywheel.engine;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The engine's matrix product on one shape: {@code C[M,N] = A·B} in float32, 2·M·N·K FLOPs per operation.
 *
 * <p>A shape is {@code MxNxK:layout}, with the layouts of bench/sgemm_reference.py: {@code nn} is A[M,K]·B[K,N]
 * (a linear layer's input gradient), {@code nt} is A[M,K]·B[N,K]ᵀ (a forward pass, x·Wᵀ), {@code tn} is
 * A[K,M]ᵀ·B[K,N] (a weight gradient, dyᵀ·x). Transposed operands are read in place, as in the model. GFLOP/s =
 * 2·M·N·K / (ms/op · 10⁶); bench/matmul.sh runs this for square sizes and the products of the benchmark models and
 * prints the fraction of OpenBLAS's sgemm on the same shapes.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'bench/target/classes:bench/target/lib/*' org.openjdk.jmh.Main \
 *     MatmulBench -p shape=1024x1024x1024:nn -p threads=2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatmulBench {

    @Param({"512x512x512:nn", "1024x1024x1024:nn", "2048x2048x2048:nn"})
    public String shape;

    @Param({"2"})
    public int threads;

    private Parallel pool;
    private float[] a, b, c;
    private int m, n, k, rs, ks, ldb;
    private boolean bT;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split(":");
        String[] d = parts[0].split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        String layout = parts.length > 1 ? parts[1] : "nn";
        if (!layout.matches("nn|nt|tn")) throw new IllegalArgumentException("layout " + layout + " is not nn, nt or tn");
        boolean aT = layout.charAt(0) == 't';
        bT = layout.charAt(1) == 't';
        rs = aT ? 1 : k;
        ks = aT ? m : 1;
        ldb = bT ? k : n;
        var r = new Random(1);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        pool = new Parallel(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public void gemm(Blackhole bh) {
        Matmul.gemm(pool, c, 0, n, a, 0, rs, ks, b, 0, bT, ldb, m, n, k, false);
        bh.consume(c);
    }
}
