package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Token (and learned position) embeddings: x[b,t] = wte[token] (+ wpe[t]). */
public final class Embedding {

    private Embedding() {}

    private static final VectorSpecies<Float> S = Simd.FLOAT;
    private static final int L = S.length();

    /** out (B,T,C); tokens (B,T); wte (V,C) at wteOff; wpe (T,C) at wpeOff, or wpeOff &lt; 0 for no positions. */
    public static void forward(Parallel pool, float[] out, int[] tokens, float[] params, int wteOff, int wpeOff,
                               int batch, int seq, int c) {
        pool.parallelFor(batch * seq, Math.max(1, 16384 / c), (start, end) -> {
            for (int bt = start; bt < end; bt++) {
                int tok = tokens[bt], t = bt % seq, o = bt * c, w = wteOff + tok * c;
                if (wpeOff >= 0) {
                    int p = wpeOff + t * c, i = 0;
                    for (; i <= c - L; i += L) {
                        FloatVector.fromArray(S, params, w + i).add(FloatVector.fromArray(S, params, p + i))
                                .intoArray(out, o + i);
                    }
                    for (; i < c; i++) out[o + i] = params[w + i] + params[p + i];
                } else {
                    System.arraycopy(params, w, out, o, c);
                }
            }
        });
    }

    /**
     * grads[wte] += scatter of dout by token; grads[wpe] += Σ_b dout[b,t]. Each thread owns a range of whole column
     * vectors of C, so accumulation order is the (b,t) order whatever the thread count.
     */
    public static void backward(Parallel pool, float[] grads, float[] dout, int[] tokens, int wteOff, int wpeOff,
                                int batch, int seq, int c) {
        int vectors = (c + L - 1) / L;
        pool.parallelFor(vectors, (long) batch * seq * c >= 1 << 16 ? 1 : vectors, (vs, ve) -> {
            int i0 = vs * L, i1 = Math.min(c, ve * L);
            for (int bt = 0; bt < batch * seq; bt++) {
                int tok = tokens[bt], t = bt % seq, o = bt * c, w = wteOff + tok * c, p = wpeOff + t * c;
                int i = i0;
                for (; i + L <= i1; i += L) {
                    var d = FloatVector.fromArray(S, dout, o + i);
                    FloatVector.fromArray(S, grads, w + i).add(d).intoArray(grads, w + i);
                    if (wpeOff >= 0) FloatVector.fromArray(S, grads, p + i).add(d).intoArray(grads, p + i);
                }
                for (; i < i1; i++) {
                    grads[w + i] += dout[o + i];
                    if (wpeOff >= 0) grads[p + i] += dout[o + i];
                }
            }
        });
    }
}
