package dev.flywheel.engine;

import java.util.Arrays;

/** Generates tokens from a model with temperature and top-k sampling. */
public final class Sampler {

    private final Gpt model;
    private final int[] window;

    public Sampler(Gpt trained) {
        this.model = trained.inferenceView();
        this.window = new int[trained.config().seqLen()];
    }

    /**
     * Continues {@code prompt} by {@code count} tokens. Temperature 0 is greedy; topK ≤ 0 keeps the whole
     * vocabulary. The context is the last seqLen tokens; the window is always full length (padded after the
     * context, which causal attention never sees), so activations are allocated once.
     */
    public int[] generate(int[] prompt, int count, double temperature, int topK, long seed) {
        int T = window.length, V = model.config().vocabSize();
        var rng = new Rng(seed);
        int[] out = Arrays.copyOf(prompt, prompt.length + count);
        int len = prompt.length;
        if (len == 0) throw new IllegalArgumentException("sampling needs a prompt of at least one token");
        float[] probs = new float[V];
        Integer[] order = new Integer[V];
        for (int i = 0; i < count; i++) {
            int ctx = Math.min(len, T), start = len - ctx;
            Arrays.fill(window, 0);
            System.arraycopy(out, start, window, 0, ctx);
            model.forward(window, null, 1, T);
            float[] logits = model.logits();
            int row = (ctx - 1) * V;
            int next;
            if (temperature <= 0) {
                next = 0;
                for (int j = 1; j < V; j++) if (logits[row + j] > logits[row + next]) next = j;
            } else {
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < V; j++) max = Math.max(max, logits[row + j]);
                float threshold = Float.NEGATIVE_INFINITY;
                if (topK > 0 && topK < V) {
                    for (int j = 0; j < V; j++) order[j] = j;
                    final int r = row;
                    Arrays.sort(order, (a, b) -> Float.compare(logits[r + b], logits[r + a]));
                    threshold = logits[row + order[topK - 1]];
                }
                double sum = 0;
                for (int j = 0; j < V; j++) {
                    float l = logits[row + j];
                    probs[j] = l < threshold ? 0f : (float) Math.exp((l - max) / temperature);
                    sum += probs[j];
                }
                double u = rng.nextDouble() * sum, acc = 0;
                next = V - 1;
                for (int j = 0; j < V; j++) {
                    acc += probs[j];
                    if (acc > u) {
                        next = j;
                        break;
                    }
                }
            }
            out[len++] = next;
        }
        return out;
    }
}
