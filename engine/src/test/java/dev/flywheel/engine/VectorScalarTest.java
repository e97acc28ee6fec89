package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Vectorised kernels compute most elements in a vector body and the last few in a scalar tail, and where the tail
 * starts depends on how the work is split between threads. Determinism across thread counts therefore needs the two
 * forms to give the same bits for every element: each check below computes an array once in bulk (vector body) and
 * once element by element (scalar tail only) and requires bitwise equality.
 */
class VectorScalarTest {

    static final Parallel ONE = new Parallel(1);
    static final int L = Simd.FLOAT.length();

    @AfterAll
    static void close() {
        ONE.close();
    }

    /** Values across the interesting ranges, the clamps and the special cases. */
    static float[] values(int n, long seed) {
        var r = new Random(seed);
        float[] x = new float[n];
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 87f, -87f, 88f, -88f, 89f, -100f, 1000f, -1000f,
                Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 9f, -9f, 0.5f, -0.5f};
        for (int i = 0; i < n; i++) {
            x[i] = i < special.length ? special[i]
                    : (float) (r.nextGaussian() * (i % 3 == 0 ? 1 : i % 3 == 1 ? 5 : 40));
        }
        return x;
    }

    @Test
    void fastMathVectorFormsMatchScalarForms() {
        float[] x = values(64 * L, 1);
        for (int i = 0; i < x.length; i += L) {
            var v = FloatVector.fromArray(FastMath.S, x, i);
            float[] e = FastMath.exp(v).toArray(), t = FastMath.tanh(v).toArray(), s = FastMath.sigmoid(v).toArray();
            for (int j = 0; j < L; j++) {
                float xi = x[i + j];
                assertThat(e[j]).as("exp(%s)", xi).isEqualTo(FastMath.exp(xi));
                assertThat(t[j]).as("tanh(%s)", xi).isEqualTo(FastMath.tanh(xi));
                assertThat(s[j]).as("sigmoid(%s)", xi).isEqualTo(FastMath.sigmoid(xi));
            }
        }
    }

    @Test
    void geluBulkEqualsElementwise() {
        int n = 37 * L + L - 1;
        float[] x = values(n, 2), g = values(n, 3);
        float[] bulk = new float[n], one = new float[n];
        Mlp.geluForward(ONE, bulk, 0, x, 0, n);
        for (int i = 0; i < n; i++) Mlp.geluForward(ONE, one, i, x, i, 1);
        assertThat(one).containsExactly(bulk);
        Mlp.geluBackward(ONE, bulk, 0, x, 0, g, 0, n);
        for (int i = 0; i < n; i++) Mlp.geluBackward(ONE, one, i, x, i, g, i, 1);
        assertThat(one).containsExactly(bulk);
    }

    @Test
    void relu2AndSwigluBulkEqualElementwise() {
        int n = 37 * L + L - 1;
        float[] x = values(2 * n, 4), g = values(n, 5);
        float[] bulk = new float[2 * n], one = new float[2 * n];
        Mlp.relu2Forward(ONE, bulk, 0, x, 0, n);
        for (int i = 0; i < n; i++) Mlp.relu2Forward(ONE, one, i, x, i, 1);
        assertThat(one).containsExactly(bulk);
        Mlp.relu2Backward(ONE, bulk, 0, x, 0, g, 0, n);
        for (int i = 0; i < n; i++) Mlp.relu2Backward(ONE, one, i, x, i, g, i, 1);
        assertThat(one).containsExactly(bulk);
        // SwiGLU: one row of width n in bulk, against n rows of width 1 built from the same gate and up values
        float[] row = new float[2 * n], narrow = new float[2 * n];
        for (int j = 0; j < n; j++) {
            narrow[2 * j] = x[j];
            narrow[2 * j + 1] = x[n + j];
        }
        Mlp.swigluForward(ONE, row, 0, x, 0, 1, n);
        Mlp.swigluForward(ONE, one, 0, narrow, 0, n, 1);
        assertThat(java.util.Arrays.copyOf(one, n)).containsExactly(java.util.Arrays.copyOf(row, n));
        Mlp.swigluBackward(ONE, row, 0, x, 0, g, 0, 1, n);
        Mlp.swigluBackward(ONE, one, 0, narrow, 0, g, 0, n, 1);
        for (int j = 0; j < n; j++) {
            assertThat(one[2 * j]).isEqualTo(row[j]);
            assertThat(one[2 * j + 1]).isEqualTo(row[n + j]);
        }
    }
}
