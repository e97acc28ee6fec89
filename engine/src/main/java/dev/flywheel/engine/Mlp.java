package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The MLP's nonlinearities, forward and backward, over flat buffers of rows. Backward functions overwrite the
 * input gradient (it is a fresh buffer in the backward pass, so no zeroing is needed).
 */
public final class Mlp {

    private Mlp() {}

    private static final float GELU_K = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_C = 0.044715f;
    /** GELU in its logistic form: 0.5·x·(1 + tanh(u)) = x·σ(2u), u = K·(x + C·x³), so 2u = x·(2K + 2KC·x²). */
    private static final float Z1 = 2 * GELU_K, Z3 = 2 * GELU_K * GELU_C, DZ3 = 3 * Z3;
    private static final VectorSpecies<Float> S = Simd.FLOAT;
    private static final int L = S.length();
    /** Elements per thread below which an elementwise loop stays on one thread. */
    static final int GRAIN = 1 << 14;

    /** GELU, tanh approximation (GPT-2's gelu_new). inp, out: (n) at the given offsets. */
    public static void geluForward(Parallel pool, float[] out, int outOff, float[] inp, int inOff, int n) {
        pool.parallelFor(n, GRAIN, (start, end) -> geluForward(out, outOff, inp, inOff, start, end));
    }

    /**
     * GELU over elements [start, end): out = x / (1 + e^{−z}), z = x·(Z1 + Z3·x²). The vector body and the scalar
     * tail compute the same bits.
     */
    static void geluForward(float[] out, int outOff, float[] inp, int inOff, int start, int end) {
        int i = start;
        for (; i <= end - L; i += L) {
            var x = FloatVector.fromArray(S, inp, inOff + i);
            var z = x.mul(x).mul(Z3).add(Z1).mul(x);
            x.div(FastMath.exp(z.neg()).add(1f)).intoArray(out, outOff + i);
        }
        for (; i < end; i++) {
            float x = inp[inOff + i];
            float z = (x * x * Z3 + Z1) * x;
            out[outOff + i] = x / (FastMath.exp(-z) + 1f);
        }
    }

    /** dinp = gelu'(inp)·dout, gelu' = s + x·s·(1 − s)·z', s = σ(z), z' = Z1 + 3·Z3·x². */
    public static void geluBackward(Parallel pool, float[] dinp, int dinOff, float[] inp, int inOff, float[] dout,
                                    int doutOff, int n) {
        pool.parallelFor(n, GRAIN, (start, end) -> {
            int i = start;
            for (; i <= end - L; i += L) {
                var x = FloatVector.fromArray(S, inp, inOff + i);
                var x2 = x.mul(x);
                var z = x2.mul(Z3).add(Z1).mul(x);
                var one = FloatVector.broadcast(S, 1f);
                var s = one.div(FastMath.exp(z.neg()).add(1f));
                var d = x.mul(s).mul(one.sub(s)).mul(x2.mul(DZ3).add(Z1)).add(s);
                d.mul(FloatVector.fromArray(S, dout, doutOff + i)).intoArray(dinp, dinOff + i);
            }
            for (; i < end; i++) {
                float x = inp[inOff + i];
                float x2 = x * x;
                float z = (x2 * Z3 + Z1) * x;
                float s = 1f / (FastMath.exp(-z) + 1f);
                float d = x * s * (1f - s) * (x2 * DZ3 + Z1) + s;
                dinp[dinOff + i] = d * dout[doutOff + i];
            }
        });
    }

    /** out[i] += in[i] over [start, end). */
    static void add(float[] out, int outOff, float[] in, int inOff, int start, int end) {
        int i = start;
        for (; i <= end - L; i += L) {
            FloatVector.fromArray(S, out, outOff + i).add(FloatVector.fromArray(S, in, inOff + i))
                    .intoArray(out, outOff + i);
        }
        for (; i < end; i++) out[outOff + i] += in[inOff + i];
    }

    /** Squared ReLU: out = max(x, 0)². */
    public static void relu2Forward(Parallel pool, float[] out, int outOff, float[] inp, int inOff, int n) {
        pool.parallelFor(n, GRAIN, (start, end) -> {
            int i = start;
            for (; i <= end - L; i += L) {
                var x = FloatVector.fromArray(S, inp, inOff + i).max(0f);
                x.mul(x).intoArray(out, outOff + i);
            }
            for (; i < end; i++) {
                float x = Math.max(inp[inOff + i], 0f);
                out[outOff + i] = x * x;
            }
        });
    }

    /** dinp = 2·max(x, 0)·dout. */
    public static void relu2Backward(Parallel pool, float[] dinp, int dinOff, float[] inp, int inOff, float[] dout,
                                     int doutOff, int n) {
        pool.parallelFor(n, GRAIN, (start, end) -> {
            int i = start;
            for (; i <= end - L; i += L) {
                var x = FloatVector.fromArray(S, inp, inOff + i).max(0f);
                x.mul(2f).mul(FloatVector.fromArray(S, dout, doutOff + i)).intoArray(dinp, dinOff + i);
            }
            for (; i < end; i++) {
                float x = Math.max(inp[inOff + i], 0f);
                dinp[dinOff + i] = 2f * x * dout[doutOff + i];
            }
        });
    }

    /**
     * SwiGLU: out[r, j] = silu(inp[r, j]) · inp[r, h + j] for rows r and j < h. inp: (rows, 2h) — the gate in
     * the first h columns, the up projection in the last h; out: (rows, h).
     */
    public static void swigluForward(Parallel pool, float[] out, int outOff, float[] inp, int inOff, int rows, int h) {
        pool.parallelFor(rows, Math.max(1, GRAIN / Math.max(1, h)), (start, end) -> {
            for (int r = start; r < end; r++) {
                int g = inOff + r * 2 * h, o = outOff + r * h, j = 0;
                for (; j <= h - L; j += L) {
                    var x = FloatVector.fromArray(S, inp, g + j);
                    x.mul(FastMath.sigmoid(x)).mul(FloatVector.fromArray(S, inp, g + h + j)).intoArray(out, o + j);
                }
                for (; j < h; j++) {
                    float x = inp[g + j];
                    out[o + j] = x * FastMath.sigmoid(x) * inp[g + h + j];
                }
            }
        });
    }

    /** dinp (rows, 2h) = the gradients of gate and up; dout (rows, h). */
    public static void swigluBackward(Parallel pool, float[] dinp, int dinOff, float[] inp, int inOff, float[] dout,
                                      int doutOff, int rows, int h) {
        pool.parallelFor(rows, Math.max(1, GRAIN / Math.max(1, h)), (start, end) -> {
            for (int r = start; r < end; r++) {
                int g = inOff + r * 2 * h, dg = dinOff + r * 2 * h, o = doutOff + r * h, j = 0;
                for (; j <= h - L; j += L) {
                    var x = FloatVector.fromArray(S, inp, g + j);
                    var u = FloatVector.fromArray(S, inp, g + h + j);
                    var d = FloatVector.fromArray(S, dout, o + j);
                    var sg = FastMath.sigmoid(x);
                    var silu = x.mul(sg);
                    var one = FloatVector.broadcast(S, 1f);
                    d.mul(u).mul(sg).mul(x.mul(one.sub(sg)).add(1f)).intoArray(dinp, dg + j);
                    d.mul(silu).intoArray(dinp, dg + h + j);
                }
                for (; j < h; j++) {
                    float x = inp[g + j], u = inp[g + h + j], d = dout[o + j];
                    float sg = FastMath.sigmoid(x);
                    float silu = x * sg;
                    dinp[dg + j] = d * u * sg * (x * (1f - sg) + 1f);
                    dinp[dg + h + j] = d * silu;
                }
            }
        });
    }
}
