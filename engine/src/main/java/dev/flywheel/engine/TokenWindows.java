package dev.flywheel.engine;

/**
 * Batches of random windows from one in-memory token array, nanoGPT's get_batch: row r of batch (step, micro)
 * starts at an offset hashed from (seed, step, micro, r), so batches are a pure function of their coordinates.
 */
public final class TokenWindows implements BatchSource {

    private final int[] tokens;
    private final long seed;

    public TokenWindows(int[] tokens, long seed) {
        this.tokens = tokens;
        this.seed = seed;
    }

    public int[] tokens() {
        return tokens;
    }

    @Override
    public void fill(long step, int micro, int batch, int seq, int[] inputs, int[] targets) {
        int windows = tokens.length - seq;
        if (windows < 1) {
            throw new IllegalArgumentException("the data has " + tokens.length + " tokens, fewer than one sequence of "
                    + (seq + 1) + "; use more data or a shorter --seq");
        }
        for (int r = 0; r < batch; r++) {
            long h = Rng.mix(Rng.mix(Rng.mix(seed ^ 0x5DEECE66DL) + step) * 31 + micro * 1_000_003L + r);
            int start = (int) Math.floorMod(h, (long) windows);
            System.arraycopy(tokens, start, inputs, r * seq, seq);
            System.arraycopy(tokens, start + 1, targets, r * seq, seq);
        }
    }
}
