package dev.flywheel.engine;

/**
 * The MLP's nonlinearities, forward and backward, over flat buffers of rows. Backward functions overwrite the
 * input gradient (it is a fresh buffer in the backward pass, so no zeroing is needed).
 */
public final class Mlp {

    private Mlp() {}

    private static final float GELU_K = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_C = 0.044715f;

    /** GELU, tanh approximation (GPT-2's gelu_new). inp, out: (n) at the given offsets. */
    public static void geluForward(Parallel pool, float[] out, int outOff, float[] inp, int inOff, int n) {
        pool.parallelFor(n, (start, end) -> {
            for (int i = start; i < end; i++) {
                float x = inp[inOff + i];
                float t = FastMath.tanh(GELU_K * (x + GELU_C * x * x * x));
                out[outOff + i] = 0.5f * x * (1f + t);
            }
        });
    }

    /** dinp = gelu'(inp)·dout. */
    public static void geluBackward(Parallel pool, float[] dinp, int dinOff, float[] inp, int inOff, float[] dout,
                                    int doutOff, int n) {
        pool.parallelFor(n, (start, end) -> {
            for (int i = start; i < end; i++) {
                float x = inp[inOff + i];
                float t = FastMath.tanh(GELU_K * (x + GELU_C * x * x * x));
                float dt = (1f - t * t) * GELU_K * (1f + 3f * GELU_C * x * x);
                dinp[dinOff + i] = (0.5f * (1f + t) + 0.5f * x * dt) * dout[doutOff + i];
            }
        });
    }

    /** Squared ReLU: out = max(x, 0)². */
    public static void relu2Forward(Parallel pool, float[] out, int outOff, float[] inp, int inOff, int n) {
        pool.parallelFor(n, (start, end) -> {
            for (int i = start; i < end; i++) {
                float x = Math.max(inp[inOff + i], 0f);
                out[outOff + i] = x * x;
            }
        });
    }

    /** dinp = 2·max(x, 0)·dout. */
    public static void relu2Backward(Parallel pool, float[] dinp, int dinOff, float[] inp, int inOff, float[] dout,
                                     int doutOff, int n) {
        pool.parallelFor(n, (start, end) -> {
            for (int i = start; i < end; i++) {
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
        pool.parallelFor(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                int g = inOff + r * 2 * h, o = outOff + r * h;
                for (int j = 0; j < h; j++) {
                    float x = inp[g + j];
                    out[o + j] = x * FastMath.sigmoid(x) * inp[g + h + j];
                }
            }
        });
    }

    /** dinp (rows, 2h) = the gradients of gate and up; dout (rows, h). */
    public static void swigluBackward(Parallel pool, float[] dinp, int dinOff, float[] inp, int inOff, float[] dout,
                                      int doutOff, int rows, int h) {
        pool.parallelFor(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                int g = inOff + r * 2 * h, dg = dinOff + r * 2 * h, o = doutOff + r * h;
                for (int j = 0; j < h; j++) {
                    float x = inp[g + j], u = inp[g + h + j], d = dout[o + j];
                    float sg = FastMath.sigmoid(x);
                    float silu = x * sg;
                    dinp[dg + j] = d * u * sg * (1f + x * (1f - sg));
                    dinp[dg + h + j] = d * silu;
                }
            }
        });
    }
}
