package dev.flywheel.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The packed matrix product: its packing (against plain loops) and its result (against double precision). */
class MatmulTest {

    static final Parallel POOL = new Parallel(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** Packing copies values, so the vectorised (transposing) packers must agree exactly with plain loops. */
    @ParameterizedTest(name = "rows={0} k={1} ld={2}")
    @CsvSource({"8,16,16", "8,48,53", "13,37,40", "24,256,300", "5,7,9", "32,33,33"})
    void packingMatchesPlainLoops(int rows, int kc, int ld) {
        var r = new Random(rows * 1000 + kc);
        float[] a = Check.randn(r, Math.max(rows, kc) * ld + 64, 1);
        int off = 3, k0 = 1;
        // A row-major (ks = 1) and transposed (rs = 1)
        for (boolean transposed : new boolean[] {false, true}) {
            int rs = transposed ? 1 : ld, ks = transposed ? ld : 1;
            float[] ap = new float[((rows + Matmul.MR - 1) / Matmul.MR) * Matmul.MR * kc];
            Matmul.packA(ap, a, off, rs, ks, 0, rows, k0, kc);
            for (int i = 0; i < ap.length; i++) {
                int panel = i / (Matmul.MR * kc), rem = i % (Matmul.MR * kc), kk = rem / Matmul.MR;
                int row = panel * Matmul.MR + rem % Matmul.MR;
                float expected = row < rows ? a[off + row * rs + (k0 + kk) * ks] : 0f;
                assertThat(ap[i]).as("A%s element %d", transposed ? "^T" : "", i).isEqualTo(expected);
            }
            // the same from an array that ends at A's last element (no vector may read past it)
            float[] tight = java.util.Arrays.copyOf(a, off + (rows - 1) * rs + (k0 + kc - 1) * ks + 1);
            float[] ap2 = new float[ap.length];
            Matmul.packA(ap2, tight, off, rs, ks, 0, rows, k0, kc);
            assertThat(ap2).as("A%s packed from a tight array", transposed ? "^T" : "").containsExactly(ap);
        }
        // B row-major and transposed, one full and one partial panel
        for (boolean transposed : new boolean[] {false, true}) {
            for (int nc : new int[] {Matmul.NR, Math.min(Matmul.NR - 1, rows)}) {
                float[] bp = new float[kc * Matmul.NR];
                int ldb = transposed ? ld : Math.max(ld, Matmul.NR + 2);
                float[] b = Check.randn(r, (Math.max(Matmul.NR, kc) + 2) * ldb + 64, 1);
                Matmul.packB(bp, 0, b, off, transposed, ldb, k0, kc, 1, nc);
                for (int kk = 0; kk < kc; kk++) {
                    for (int jj = 0; jj < Matmul.NR; jj++) {
                        float expected = jj >= nc ? 0f
                                : transposed ? b[off + (1 + jj) * ldb + k0 + kk] : b[off + (k0 + kk) * ldb + 1 + jj];
                        assertThat(bp[kk * Matmul.NR + jj]).as("B%s (%d, %d)", transposed ? "^T" : "", kk, jj)
                                .isEqualTo(expected);
                    }
                }
            }
        }
    }

    /**
     * Every micro-kernel form, 8-row and 5-row alike (the machine's vector width selects one; the other is reached only
     * here), against a scalar chain of FMAs, bit for bit: set from zero, bias from the bias row, add summed from zero
     * and then added to C; packed A with a stride wider than the rows (as attention passes) and A read in place. C's
     * columns beyond the tile stay untouched.
     */
    @ParameterizedTest(name = "{0} rows, {1}")
    @CsvSource({"8,set", "8,add", "8,bias", "8,setRows", "8,addRows", "8,biasRows",
            "5,set", "5,add", "5,bias", "5,setRows", "5,addRows", "5,biasRows"})
    void microKernelsMatchAScalarChain(int mr, String form) {
        int nr = Matmul.NR, kc = 37, as = mr + 2, rs = kc + 5, ldc = nr + 3, bias0 = 2;
        var r = new Random(mr * 31 + form.hashCode());
        float[] ap = Check.randn(r, kc * as, 1), bp = Check.randn(r, kc * nr, 1), c = Check.randn(r, mr * ldc, 1);
        float[] bias = Check.randn(r, bias0 + nr, 1), a = new float[mr * rs];
        for (int row = 0; row < mr; row++) {
            for (int kk = 0; kk < kc; kk++) a[row * rs + kk] = ap[kk * as + row];
        }
        boolean rows = form.endsWith("Rows");
        String kind = rows ? form.substring(0, form.length() - 4) : form;
        float[] expected = c.clone();
        for (int row = 0; row < mr; row++) {
            for (int j = 0; j < nr; j++) {
                float acc = kind.equals("bias") ? bias[bias0 + j] : 0f;
                for (int kk = 0; kk < kc; kk++) acc = Math.fma(ap[kk * as + row], bp[kk * nr + j], acc);
                expected[row * ldc + j] = kind.equals("add") ? c[row * ldc + j] + acc : acc;
            }
        }
        boolean eight = mr == 8;
        switch (form) {
            case "set" -> {
                if (eight) Matmul.kernelSet8(ap, 0, as, bp, 0, kc, c, 0, ldc);
                else Matmul.kernelSet5(ap, 0, as, bp, 0, kc, c, 0, ldc);
            }
            case "add" -> {
                if (eight) Matmul.kernelAdd8(ap, 0, as, bp, 0, kc, c, 0, ldc);
                else Matmul.kernelAdd5(ap, 0, as, bp, 0, kc, c, 0, ldc);
            }
            case "bias" -> {
                if (eight) Matmul.kernelBias8(ap, 0, as, bp, 0, kc, c, 0, ldc, bias, bias0);
                else Matmul.kernelBias5(ap, 0, as, bp, 0, kc, c, 0, ldc, bias, bias0);
            }
            case "setRows" -> {
                if (eight) Matmul.kernelSetRows8(a, 0, rs, bp, 0, kc, c, 0, ldc);
                else Matmul.kernelSetRows5(a, 0, rs, bp, 0, kc, c, 0, ldc);
            }
            case "addRows" -> {
                if (eight) Matmul.kernelAddRows8(a, 0, rs, bp, 0, kc, c, 0, ldc);
                else Matmul.kernelAddRows5(a, 0, rs, bp, 0, kc, c, 0, ldc);
            }
            case "biasRows" -> {
                if (eight) Matmul.kernelBiasRows8(a, 0, rs, bp, 0, kc, c, 0, ldc, bias, bias0);
                else Matmul.kernelBiasRows5(a, 0, rs, bp, 0, kc, c, 0, ldc, bias, bias0);
            }
            default -> throw new IllegalArgumentException(form);
        }
        assertThat(c).as("%d-row %s kernel", mr, form).containsExactly(expected);
    }

    /** Every layout, sizes around the tile and block edges, serial and parallel, overwrite and accumulate. */
    @ParameterizedTest(name = "{0}x{1}x{2} {3} accumulate={4}")
    @CsvSource({"1,1,1,nn,false", "9,33,17,nt,false", "64,64,300,tn,true", "130,70,257,nt,true", "140,300,40,nn,false",
            "37,260,64,tn,false", "513,40,31,nt,false", "40,100,1100,nn,true", "20,1100,96,nt,false"})
    void productMatchesDoublePrecision(int m, int n, int k, String layout, boolean accumulate) {
        var r = new Random(m * 7 + n * 13 + k);
        boolean aT = layout.charAt(0) == 't', bT = layout.charAt(1) == 't';
        float[] a = Check.randn(r, m * k, 1), b = Check.randn(r, k * n, 1), c0 = Check.randn(r, m * n, 1);
        int rs = aT ? 1 : k, ks = aT ? m : 1, ldb = bT ? k : n;
        double[] expected = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c0[i * n + j] : 0;
                for (int q = 0; q < k; q++) s += (double) a[i * rs + q * ks] * (bT ? b[j * ldb + q] : b[q * ldb + j]);
                expected[i * n + j] = s;
            }
        }
        float[] serial = c0.clone(), parallel = c0.clone();
        Matmul.gemmSerial(serial, 0, n, a, 0, rs, ks, b, 0, bT, ldb, m, n, k, accumulate);
        Matmul.gemm(POOL, parallel, 0, n, a, 0, rs, ks, b, 0, bT, ldb, m, n, k, accumulate);
        Check.close("product", serial, 0, expected, 1e-5);
        assertThat(parallel).as("parallel = serial, bit for bit").containsExactly(serial);
        // B in chunks (along the depth or the columns, whichever is longer), as for the LM head
        float[] chunked = c0.clone(), chunkedSerial = c0.clone();
        Matmul.packCap = 3 * Matmul.NR * Matmul.KC;
        try {
            Matmul.gemm(POOL, chunked, 0, n, a, 0, rs, ks, b, 0, bT, ldb, m, n, k, accumulate);
            Matmul.gemmSerial(chunkedSerial, 0, n, a, 0, rs, ks, b, 0, bT, ldb, m, n, k, accumulate);
        } finally {
            Matmul.packCap = Matmul.PACK_CAP;
        }
        assertThat(chunked).as("chunked = whole, bit for bit").containsExactly(serial);
        assertThat(chunkedSerial).as("chunked serial = whole, bit for bit").containsExactly(serial);
    }
}
