package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax cross-entropy over the vocabulary, fused with its gradient and the optional z-loss.
 *
 * <p>Per position: lse = log Σ exp(logits), loss = lse − logit[target], objective adds zLoss·lse². The gradient of
 * the mean objective over the N positions is written over the logits: (softmax − onehot)/N + 2·zLoss·lse·softmax/N.
 * Rows are vectorised: the max and the sum run in vector lanes, then over the lanes in order, then the tail, so a
 * row's result depends only on its contents.
 */
public final class CrossEntropy {

    private CrossEntropy() {}

    private static final VectorSpecies<Float> S = Simd.FLOAT;
    private static final int L = S.length();
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    /**
     * Computes per-position losses (N) and log-sum-exps (N) from logits (N, V) at logitsOff.
     * A target of −1 marks a position that is not scored (its loss is 0).
     */
    public static void forward(Parallel pool, float[] losses, float[] lse, float[] logits, int logitsOff,
                               int[] targets, int n, int v) {
        pool.parallelFor(n, Math.max(1, 8192 / v), (start, end) -> {
            float[] lanes = LANES.get();
            for (int i = start; i < end; i++) {
                int row = logitsOff + i * v;
                var mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                int j = 0;
                for (; j <= v - L; j += L) mv = mv.max(FloatVector.fromArray(S, logits, row + j));
                mv.intoArray(lanes, 0);
                float max = Float.NEGATIVE_INFINITY;
                for (int q = 0; q < L; q++) max = Math.max(max, lanes[q]);
                for (; j < v; j++) max = Math.max(max, logits[row + j]);
                var maxv = FloatVector.broadcast(S, max);
                var sv = FloatVector.zero(S);
                for (j = 0; j <= v - L; j += L) sv = sv.add(FastMath.exp(FloatVector.fromArray(S, logits, row + j).sub(maxv)));
                float sum = Norm.sum(sv, lanes);
                for (; j < v; j++) sum += FastMath.exp(logits[row + j] - max);
                float l = max + (float) StrictMath.log(sum);
                lse[i] = l;
                int t = targets[i];
                losses[i] = t < 0 ? 0f : l - logits[row + t];
            }
        });
    }

    /**
     * Overwrites logits with the gradient of (1/count)·Σ (loss + zLoss·lse²), count = scored positions.
     * Positions with target −1 get a zero gradient.
     */
    public static void backward(Parallel pool, float[] logits, int logitsOff, float[] lse, int[] targets, int n, int v,
                                float zLoss, int count) {
        final float inv = 1f / count;
        pool.parallelFor(n, Math.max(1, 8192 / v), (start, end) -> {
            for (int i = start; i < end; i++) {
                int row = logitsOff + i * v;
                int t = targets[i];
                if (t < 0) {
                    java.util.Arrays.fill(logits, row, row + v, 0f);
                    continue;
                }
                float l = lse[i];
                float scale = (1f + 2f * zLoss * l) * inv;
                var lv = FloatVector.broadcast(S, l);
                int j = 0;
                for (; j <= v - L; j += L) {
                    FastMath.exp(FloatVector.fromArray(S, logits, row + j).sub(lv)).mul(scale).intoArray(logits, row + j);
                }
                for (; j < v; j++) logits[row + j] = FastMath.exp(logits[row + j] - l) * scale;
                logits[row + t] -= inv;
            }
        });
    }
}
