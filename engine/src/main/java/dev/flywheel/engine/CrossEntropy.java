package dev.flywheel.engine;

/**
 * Softmax cross-entropy over the vocabulary, fused with its gradient and the optional z-loss.
 *
 * <p>Per position: lse = log Σ exp(logits), loss = lse − logit[target], objective adds zLoss·lse². The gradient of
 * the mean objective over the N positions is written over the logits: (softmax − onehot)/N + 2·zLoss·lse·softmax/N.
 */
public final class CrossEntropy {

    private CrossEntropy() {}

    /**
     * Computes per-position losses (N) and log-sum-exps (N) from logits (N, V) at logitsOff.
     * A target of −1 marks a position that is not scored (its loss is 0).
     */
    public static void forward(Parallel pool, float[] losses, float[] lse, float[] logits, int logitsOff,
                               int[] targets, int n, int v) {
        pool.parallelFor(n, (start, end) -> {
            for (int i = start; i < end; i++) {
                int row = logitsOff + i * v;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) max = Math.max(max, logits[row + j]);
                float sum = 0;
                for (int j = 0; j < v; j++) sum += FastMath.exp(logits[row + j] - max);
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
        pool.parallelFor(n, (start, end) -> {
            for (int i = start; i < end; i++) {
                int row = logitsOff + i * v;
                int t = targets[i];
                if (t < 0) {
                    java.util.Arrays.fill(logits, row, row + v, 0f);
                    continue;
                }
                float l = lse[i];
                float zs = 1f + 2f * zLoss * l;
                for (int j = 0; j < v; j++) {
                    float p = FastMath.exp(logits[row + j] - l);
                    logits[row + j] = p * zs * inv;
                }
                logits[row + t] -= inv;
            }
        });
    }
}
