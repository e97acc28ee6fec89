package dev.flywheel.engine;

/**
 * LayerNorm and RMSNorm over rows. A row is {@code c} contiguous floats; rows follow each other with a stride,
 * so the same functions normalise model rows (stride C) and per-head slices inside the qkv buffer (QK-norm).
 * Statistics are kept in double inside a row and stored as float: mean and 1/σ per row for the backward pass.
 */
public final class Norm {

    private Norm() {}

    /**
     * LayerNorm forward. inp rows (rows, c) with stride inStride; out rows with stride outStride;
     * weight (c); bias (c) or null; mean, rstd (rows).
     */
    public static void layerNormForward(Parallel pool, float[] out, int outOff, int outStride, float[] mean,
                                        int statOff, float[] rstd, float[] inp, int inOff, int inStride,
                                        float[] weight, int wOff, float[] bias, int bOff, int rows, int c, float eps) {
        pool.parallelFor(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, y = outOff + r * outStride;
                double m = 0;
                for (int i = 0; i < c; i++) m += inp[x + i];
                m /= c;
                double v = 0;
                for (int i = 0; i < c; i++) {
                    double d = inp[x + i] - m;
                    v += d * d;
                }
                v /= c;
                float s = (float) (1.0 / Math.sqrt(v + eps));
                float mf = (float) m;
                for (int i = 0; i < c; i++) {
                    float n = (inp[x + i] - mf) * s;
                    out[y + i] = bias != null ? n * weight[wOff + i] + bias[bOff + i] : n * weight[wOff + i];
                }
                mean[statOff + r] = mf;
                rstd[statOff + r] = s;
            }
        });
    }

    /**
     * LayerNorm backward: dinp += ∂/∂inp, and the weight and bias gradients accumulated into dweight, dbias
     * (dbias may be null). Weight gradients are reduced over rows in a fixed order: each thread owns a range of
     * columns, so no two threads write the same element and the sum order is the row order.
     */
    public static void layerNormBackward(Parallel pool, float[] dinp, int dinOff, int dinStride, float[] dweight,
                                         int dwOff, float[] dbias, int dbOff, float[] dout, int doutOff,
                                         int doutStride, float[] inp, int inOff, int inStride, float[] weight,
                                         int wOff, float[] mean, float[] rstd, int statOff, int rows, int c) {
        pool.parallelFor(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, g = doutOff + r * doutStride, d = dinOff + r * dinStride;
                float m = mean[statOff + r], s = rstd[statOff + r];
                double dnormMean = 0, dnormNormMean = 0;
                for (int i = 0; i < c; i++) {
                    float norm = (inp[x + i] - m) * s;
                    float dnorm = weight[wOff + i] * dout[g + i];
                    dnormMean += dnorm;
                    dnormNormMean += (double) dnorm * norm;
                }
                float a = (float) (dnormMean / c), b = (float) (dnormNormMean / c);
                for (int i = 0; i < c; i++) {
                    float norm = (inp[x + i] - m) * s;
                    float dnorm = weight[wOff + i] * dout[g + i];
                    dinp[d + i] += (dnorm - a - norm * b) * s;
                }
            }
        });
        pool.parallelFor(c, (start, end) -> {
            for (int r = 0; r < rows; r++) {
                int x = inOff + r * inStride, g = doutOff + r * doutStride;
                float m = mean[statOff + r], s = rstd[statOff + r];
                for (int i = start; i < end; i++) {
                    dweight[dwOff + i] += (inp[x + i] - m) * s * dout[g + i];
                    if (dbias != null) dbias[dbOff + i] += dout[g + i];
                }
            }
        });
    }

    /** RMSNorm forward: out = inp / sqrt(mean(inp²) + eps) · weight. rstd (rows) is kept for the backward pass. */
    public static void rmsNormForward(Parallel pool, float[] out, int outOff, int outStride, float[] rstd,
                                      int statOff, float[] inp, int inOff, int inStride, float[] weight, int wOff,
                                      int rows, int c, float eps) {
        pool.parallelFor(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, y = outOff + r * outStride;
                double ss = 0;
                for (int i = 0; i < c; i++) ss += (double) inp[x + i] * inp[x + i];
                float s = (float) (1.0 / Math.sqrt(ss / c + eps));
                for (int i = 0; i < c; i++) out[y + i] = inp[x + i] * s * weight[wOff + i];
                rstd[statOff + r] = s;
            }
        });
    }

    /** RMSNorm backward: dinp += ∂/∂inp; dweight += Σ_rows inp·rstd·dout. */
    public static void rmsNormBackward(Parallel pool, float[] dinp, int dinOff, int dinStride, float[] dweight,
                                       int dwOff, float[] dout, int doutOff, int doutStride, float[] inp, int inOff,
                                       int inStride, float[] weight, int wOff, float[] rstd, int statOff, int rows,
                                       int c) {
        pool.parallelFor(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                int x = inOff + r * inStride, g = doutOff + r * doutStride, d = dinOff + r * dinStride;
                float s = rstd[statOff + r];
                double dot = 0;
                for (int i = 0; i < c; i++) dot += (double) dout[g + i] * weight[wOff + i] * inp[x + i];
                float k = (float) (dot / c) * s * s;
                for (int i = 0; i < c; i++) {
                    dinp[d + i] += s * (dout[g + i] * weight[wOff + i] - inp[x + i] * k);
                }
            }
        });
        pool.parallelFor(c, (start, end) -> {
            for (int r = 0; r < rows; r++) {
                int x = inOff + r * inStride, g = doutOff + r * doutStride;
                float s = rstd[statOff + r];
                for (int i = start; i < end; i++) dweight[dwOff + i] += inp[x + i] * s * dout[g + i];
            }
        });
    }
}
