package dev.flywheel.engine;

/** Token (and learned position) embeddings: x[b,t] = wte[token] (+ wpe[t]). */
public final class Embedding {

    private Embedding() {}

    /** out (B,T,C); tokens (B,T); wte (V,C) at wteOff; wpe (T,C) at wpeOff, or wpeOff &lt; 0 for no positions. */
    public static void forward(Parallel pool, float[] out, int[] tokens, float[] params, int wteOff, int wpeOff,
                               int batch, int seq, int c) {
        pool.parallelFor(batch * seq, (start, end) -> {
            for (int bt = start; bt < end; bt++) {
                int tok = tokens[bt], t = bt % seq, o = bt * c, w = wteOff + tok * c;
                if (wpeOff >= 0) {
                    int p = wpeOff + t * c;
                    for (int i = 0; i < c; i++) out[o + i] = params[w + i] + params[p + i];
                } else {
                    System.arraycopy(params, w, out, o, c);
                }
            }
        });
    }

    /**
     * grads[wte] += scatter of dout by token; grads[wpe] += Σ_b dout[b,t]. Each thread owns a range of the C
     * columns, so accumulation order is the (b,t) order whatever the thread count.
     */
    public static void backward(Parallel pool, float[] grads, float[] dout, int[] tokens, int wteOff, int wpeOff,
                                int batch, int seq, int c) {
        pool.parallelFor(c, (start, end) -> {
            for (int bt = 0; bt < batch * seq; bt++) {
                int tok = tokens[bt], t = bt % seq, o = bt * c, w = wteOff + tok * c;
                for (int i = start; i < end; i++) grads[w + i] += dout[o + i];
                if (wpeOff >= 0) {
                    int p = wpeOff + t * c;
                    for (int i = start; i < end; i++) grads[p + i] += dout[o + i];
                }
            }
        });
    }
}
